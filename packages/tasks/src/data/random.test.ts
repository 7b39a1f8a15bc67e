import { describe, expect, it } from 'vitest';
import { Rng } from '@starling/core';
import { dirichlet, gamma, shuffleInPlace } from './random';

describe('seeded sampling helpers', () => {
  it('gamma has mean and variance equal to the shape, above and below 1', () => {
    const rng = new Rng(21);
    for (const shape of [0.1, 0.5, 1, 3, 20]) {
      const n = 20_000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const g = gamma(rng, shape);
        expect(g).toBeGreaterThanOrEqual(0);
        s += g;
        s2 += g * g;
      }
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      expect(Math.abs(mean - shape)).toBeLessThan(4 * Math.sqrt(shape / n));
      expect(Math.abs(variance / shape - 1)).toBeLessThan(0.15);
    }
  });

  it('dirichlet draws are probability vectors, even when every gamma underflows', () => {
    const rng = new Rng(3);
    const p = new Float64Array(7);
    for (const alpha of [1e-4, 0.1, 1, 50]) {
      for (let t = 0; t < 100; t++) {
        dirichlet(rng, alpha, p);
        let sum = 0;
        for (const v of p) {
          expect(v).toBeGreaterThanOrEqual(0);
          sum += v;
        }
        expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('shuffle is a permutation and reaches every position', () => {
    const rng = new Rng(8);
    const firsts = new Set<number>();
    for (let t = 0; t < 200; t++) {
      const a = Uint32Array.from({ length: 10 }, (_, i) => i);
      shuffleInPlace(a, rng);
      expect(Array.from(a).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      firsts.add(a[0]);
    }
    expect(firsts.size).toBe(10);
  });
});
