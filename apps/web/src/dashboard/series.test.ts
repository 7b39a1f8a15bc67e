import { describe, expect, it } from 'vitest';
import { alignSeries, downsampleMinMax, emaSmooth, interpolateAt, meanOf, type Columns, type Value } from './series';

/** Deterministic noise for the tests (a 32-bit LCG); no Math.random. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomColumns(n: number, series: number, seed: number): Columns {
  const r = lcg(seed);
  const x: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) x.push((t += 0.5 + r() * 2));
  const ys = Array.from({ length: series }, () => x.map(() => (r() < 0.05 ? null : r() * 10 - 5)));
  return { x, ys };
}

const finite = (col: Value[]) => col.filter((v): v is number => typeof v === 'number');

describe('downsampleMinMax', () => {
  it('bounds the point count and keeps every series minimum and maximum', () => {
    const cols = randomColumns(20_000, 3, 7);
    const out = downsampleMinMax(cols, 500);
    expect(out.x.length).toBeLessThanOrEqual(500);
    expect(out.x.length).toBeGreaterThan(250);
    for (let k = 0; k < 3; k++) {
      expect(out.ys[k].length).toBe(out.x.length);
      expect(Math.max(...finite(out.ys[k]))).toBe(Math.max(...finite(cols.ys[k])));
      expect(Math.min(...finite(out.ys[k]))).toBe(Math.min(...finite(cols.ys[k])));
    }
  });

  it('keeps a one-sample spike inside a long flat series', () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y: Value[] = x.map(() => 1);
    y[6_543] = 50;
    y[2_001] = -3;
    const out = downsampleMinMax({ x, ys: [y] }, 100);
    expect(out.ys[0]).toContain(50);
    expect(out.ys[0]).toContain(-3);
    // The spike stays near its own x, not smeared to another bucket.
    const at = out.x[out.ys[0].indexOf(50)];
    expect(Math.abs(at - 6_543)).toBeLessThanOrEqual(n / 50);
  });

  it('emits ascending x taken from the input, with min/max in their original order', () => {
    const cols = randomColumns(5_000, 1, 11);
    const out = downsampleMinMax(cols, 300);
    const inputX = new Set(cols.x);
    for (let i = 1; i < out.x.length; i++) expect(out.x[i]).toBeGreaterThanOrEqual(out.x[i - 1]);
    for (const v of out.x) expect(inputX.has(v)).toBe(true);
    // Rising data: each bucket must come out as (min, max), i.e. never decreasing inside a pair.
    const rising = { x: cols.x, ys: [cols.x.map((v) => v * 2)] };
    const r = downsampleMinMax(rising, 300);
    for (let i = 1; i < r.x.length; i++) expect(r.ys[0][i]!).toBeGreaterThanOrEqual(r.ys[0][i - 1]!);
  });

  it('returns a copy unchanged when already small enough', () => {
    const cols = randomColumns(50, 2, 3);
    const out = downsampleMinMax(cols, 100);
    expect(out).toEqual(cols);
    expect(out.x).not.toBe(cols.x);
  });

  it('copes with an all-equal x (samples axis before any progress)', () => {
    const x = new Array<number>(1_000).fill(0);
    const y = x.map((_, i) => Math.sin(i));
    const out = downsampleMinMax({ x, ys: [y] }, 50);
    expect(out.x.length).toBeLessThanOrEqual(50);
    expect(Math.max(...finite(out.ys[0]))).toBe(Math.max(...y));
  });
});

describe('emaSmooth', () => {
  it('equals the debiased weighted sum computed directly', () => {
    const r = lcg(5);
    const v = Array.from({ length: 40 }, () => r() * 4);
    const beta = 0.8;
    const got = emaSmooth(v, beta);
    for (let k = 1; k <= v.length; k++) {
      let num = 0;
      for (let i = 0; i < k; i++) num += (1 - beta) * beta ** (k - 1 - i) * v[i];
      expect(got[k - 1]).toBeCloseTo(num / (1 - beta ** k), 10);
    }
  });

  it('leaves a constant series unchanged (debiasing) and beta 0 is the identity', () => {
    expect(emaSmooth([3, 3, 3, 3], 0.95).every((s) => Math.abs(s! - 3) < 1e-12)).toBe(true);
    expect(emaSmooth([1, 5, 2], 0)).toEqual([1, 5, 2]);
  });

  it('keeps gaps as gaps without advancing the average', () => {
    const beta = 0.5;
    const withGap = emaSmooth([2, null, 4, Number.NaN, 6], beta);
    const dense = emaSmooth([2, 4, 6], beta);
    expect(withGap).toEqual([dense[0], null, dense[1], null, dense[2]]);
  });

  it('rejects a beta outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(RangeError);
  });
});

describe('alignSeries', () => {
  it('puts each series on the union of x with nulls where it has no point', () => {
    const out = alignSeries([
      { x: [1, 3, 5], y: [10, 30, 50] },
      { x: [2, 3, 6], y: [-2, -3, -6] },
    ]);
    const ux = [...new Set([1, 3, 5, 2, 3, 6])].sort((a, b) => a - b);
    expect(out.x).toEqual(ux);
    for (const [k, s] of [[0, [1, 3, 5]], [1, [2, 3, 6]]] as const) {
      out.x.forEach((x, i) => expect(out.ys[k][i] === null).toBe(!(s as readonly number[]).includes(x)));
    }
    expect(out.ys[0][out.x.indexOf(5)]).toBe(50);
    expect(out.ys[1][out.x.indexOf(6)]).toBe(-6);
  });

  it('skips non-finite x', () => {
    const out = alignSeries([{ x: [1, Number.NaN, 2], y: [1, 9, 2] }]);
    expect(out).toEqual({ x: [1, 2], ys: [[1, 2]] });
  });
});

describe('interpolateAt / meanOf', () => {
  it('interpolates linearly and clamps at the ends', () => {
    const xs = [0, 10, 20];
    const ys = [0, 100, 110];
    expect(interpolateAt(xs, ys, 5)).toBeCloseTo(50);
    expect(interpolateAt(xs, ys, 15)).toBeCloseTo(105);
    expect(interpolateAt(xs, ys, -1)).toBe(0);
    expect(interpolateAt(xs, ys, 99)).toBe(110);
    expect(interpolateAt([], [], 1)).toBeNull();
  });

  it('averages finite values only', () => {
    expect(meanOf([1, null, 3, Number.POSITIVE_INFINITY])).toBe(2);
    expect(meanOf([null])).toBeNull();
  });
});
