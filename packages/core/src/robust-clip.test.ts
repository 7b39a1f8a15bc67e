import { describe, expect, it } from 'vitest';
import { ClipRadius, clipInto, distance } from './robust-clip';

describe('ClipRadius', () => {
  it('is Infinity until minSamples distances were seen, then multiplier x the lower median of the window', () => {
    const r = new ClipRadius(2, { multiplier: 3, window: 5, minSamples: 3 });
    expect(r.radius(0)).toBe(Infinity);
    r.record(0, 4);
    r.record(0, 1);
    expect(r.radius(0)).toBe(Infinity);
    r.record(0, 1000); // one wild distance among three: the median stays honest
    expect(r.radius(0)).toBe(3 * 4);
    r.record(0, 2);
    expect(r.radius(0)).toBe(3 * 2); // lower median of 1, 2, 4, 1000
    expect(r.radius(1)).toBe(Infinity); // blocks are independent
  });

  it('forgets distances older than the window', () => {
    const r = new ClipRadius(1, { multiplier: 1, window: 3, minSamples: 1 });
    for (const d of [100, 100, 100, 1, 1, 1]) r.record(0, d);
    expect(r.radius(0)).toBe(1);
  });
});

describe('clipInto', () => {
  const own = new Float32Array([1, 1, 1, 1]);

  it('copies a block within the radius unchanged', () => {
    const r = new ClipRadius(1, { multiplier: 1, window: 3, minSamples: 1 });
    r.record(0, 10);
    const y = new Float32Array([2, 0, 1, 1]);
    const dst = new Float32Array(4);
    expect(clipInto(r, 0, y, 0, own, 0, dst, 0, 4)).toBe(false);
    expect([...dst]).toEqual([2, 0, 1, 1]);
  });

  it('pulls a far block back to the radius along the same direction, and records its raw distance', () => {
    const r = new ClipRadius(1, { multiplier: 1, window: 3, minSamples: 1 });
    r.record(0, 0.5);
    const y = new Float32Array([1 - 1e6, 1, 1, 1]); // a sign-flipped, scaled copy
    const dst = new Float32Array(4);
    expect(clipInto(r, 0, y, 0, own, 0, dst, 0, 4)).toBe(true);
    expect(distance(dst, 0, own, 0, 4)).toBeCloseTo(0.5, 5);
    expect(dst[0]).toBeCloseTo(0.5, 5);
    expect(dst[1]).toBe(1);
    // The raw distance entered the ring (median of 0.5 and 1e6 is the lower: still 0.5).
    expect(r.radius(0)).toBe(0.5);
  });

  it('works at offsets, in place', () => {
    const r = new ClipRadius(1, { multiplier: 1, window: 3, minSamples: 1 });
    r.record(0, 1);
    const buf = new Float64Array([9, 9, 5, 1]);
    const c = new Float64Array([0, 1, 1]);
    expect(clipInto(r, 0, buf, 2, c, 1, buf, 2, 2)).toBe(true);
    expect(buf[0]).toBe(9);
    expect(buf[2]).toBeCloseTo(2, 12);
    expect(buf[3]).toBe(1);
  });
});
