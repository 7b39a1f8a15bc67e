import { describe, expect, it } from 'vitest';
import { ModelAverage } from './model-average';

describe('ModelAverage', () => {
  it('starts from the first model and is the plain mean while it holds fewer than `steps` models', () => {
    const a = new ModelAverage(2, 4, 0);
    a.update(Float32Array.of(4, -4));
    expect([...a.value()]).toEqual([4, -4]);
    a.update(Float32Array.of(2, 0));
    a.update(Float32Array.of(0, 1));
    expect([...a.value()]).toEqual([2, -1]);
    expect(a.count).toBe(3);
  });

  it('then weighs each new model 1 / steps, so the old ones fade', () => {
    const a = new ModelAverage(1, 4, 0);
    for (let i = 0; i < 4; i++) a.update(Float32Array.of(0));
    a.update(Float32Array.of(8));
    expect(a.value()[0]).toBeCloseTo(2, 6); // 0 + (8 - 0) / 4
    for (let i = 0; i < 100; i++) a.update(Float32Array.of(8));
    expect(a.value()[0]).toBeCloseTo(8, 4);
  });

  it('averages out the noise of models scattered around a point', () => {
    const a = new ModelAverage(1, 50);
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2; // uniform in (-1, 1)
    for (let t = 0; t < 400; t++) a.update(Float32Array.of(1 + noise()));
    // Each model is 0.5 from the point on average; the average of about 50 is within 0.2.
    expect(Math.abs(a.value()[0] - 1)).toBeLessThan(0.2);
  });

  it('by default skips a window of models first, then starts from the model after them', () => {
    const a = new ModelAverage(1, 3);
    for (let t = 1; t <= 3; t++) {
      a.update(Float32Array.of(t * 10));
      expect(a.count).toBe(0); // still the burn-in: the peer reports its own model
    }
    a.update(Float32Array.of(40));
    expect(a.count).toBe(1);
    expect(a.value()[0]).toBe(40); // the first model after the burn-in, none of the earlier ones
    a.update(Float32Array.of(50));
    expect(a.value()[0]).toBe(45);
    expect(() => new ModelAverage(1, 3, -1)).toThrow(RangeError);
  });

  it('hands out copies, and refuses a window below one step or a model of another size', () => {
    const a = new ModelAverage(2, 3, 0);
    a.update(Float32Array.of(1, 2));
    const v = a.value();
    v[0] = 99;
    expect(a.value()[0]).toBe(1);
    expect(() => new ModelAverage(2, 0)).toThrow(RangeError);
    expect(() => new ModelAverage(2, 1.5)).toThrow(RangeError);
    expect(() => a.update(Float32Array.of(1))).toThrow(/has 1 parameters, the average 2/);
  });
});
