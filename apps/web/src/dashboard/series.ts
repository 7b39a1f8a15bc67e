/**
 * Pure series helpers for the charts: min/max downsampling, EMA smoothing and alignment of series
 * with different x values onto one shared x (uPlot draws columns that share x).
 */

export type Value = number | null;

/** Rows sharing one ascending x; `ys[k][i]` is series k at `x[i]` (null = no value there). */
export interface Columns {
  x: number[];
  ys: Value[][];
}

export interface XYSeries {
  x: ArrayLike<number>;
  y: ArrayLike<Value>;
}

const isNum = (v: Value | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Reduce rows to at most `maxPoints` by cutting the x range into `maxPoints / 2` equal buckets and
 * keeping, per series, the bucket's minimum and maximum in their original order. Peaks and dips
 * survive (a mean or stride would hide them); the first and last x of each bucket become the rows.
 * `x` must be ascending.
 */
export function downsampleMinMax(cols: Columns, maxPoints: number): Columns {
  const n = cols.x.length;
  if (n <= maxPoints || maxPoints < 2) return { x: cols.x.slice(), ys: cols.ys.map((y) => y.slice()) };
  const buckets = Math.floor(maxPoints / 2);
  const x0 = cols.x[0];
  const span = cols.x[n - 1] - x0;
  // Equal x ranges keep sparse stretches sparse; a flat x (all equal) falls back to equal counts.
  const bucketOf = span > 0
    ? (i: number) => Math.min(buckets - 1, Math.floor(((cols.x[i] - x0) / span) * buckets))
    : (i: number) => Math.min(buckets - 1, Math.floor((i / n) * buckets));
  const out: Columns = { x: [], ys: cols.ys.map(() => []) };
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && bucketOf(i) === bucketOf(start)) continue;
    flushBucket(cols, start, i - 1, out);
    start = i;
  }
  return out;
}

function flushBucket(cols: Columns, first: number, last: number, out: Columns): void {
  if (first === last) {
    out.x.push(cols.x[first]);
    for (let k = 0; k < cols.ys.length; k++) out.ys[k].push(cols.ys[k][first] ?? null);
    return;
  }
  out.x.push(cols.x[first], cols.x[last]);
  for (let k = 0; k < cols.ys.length; k++) {
    const y = cols.ys[k];
    let lo = -1;
    let hi = -1;
    for (let i = first; i <= last; i++) {
      const v = y[i];
      if (!isNum(v)) continue;
      if (lo < 0 || v < (y[lo] as number)) lo = i;
      if (hi < 0 || v > (y[hi] as number)) hi = i;
    }
    const col = out.ys[k];
    if (lo < 0) col.push(null, null);
    else if (lo <= hi) col.push(y[lo], y[hi]);
    else col.push(y[hi], y[lo]);
  }
}

/**
 * Exponential moving average with TensorBoard's debiasing: s = beta * s + (1 - beta) * v, shown as
 * s / (1 - beta^k) after k values, so the first points are not dragged towards zero. Missing or
 * non-finite inputs stay missing and do not advance the average.
 */
export function emaSmooth(values: ArrayLike<Value>, beta: number): Value[] {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`EMA beta must be in [0, 1), got ${beta}`);
  const out = new Array<Value>(values.length);
  let acc = 0;
  let weight = 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isNum(v)) {
      out[i] = null;
      continue;
    }
    acc = beta * acc + (1 - beta) * v;
    weight *= beta;
    out[i] = acc / (1 - weight);
  }
  return out;
}

/**
 * Put several series with their own ascending x onto the union of their x values; a series has
 * null where it has no point. When one series repeats an x, its last value wins.
 */
export function alignSeries(series: readonly XYSeries[]): Columns {
  const all: number[] = [];
  for (const s of series) for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.x[i])) all.push(s.x[i]);
  all.sort((a, b) => a - b);
  const x: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) x.push(all[i]);
  const ys = series.map((s) => {
    const col = new Array<Value>(x.length).fill(null);
    let j = 0;
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i])) continue;
      while (x[j] < s.x[i]) j++;
      col[j] = s.y[i] ?? null;
    }
    return col;
  });
  return { x, ys };
}

/** Linear interpolation of ascending (xs, ys) at `at`, clamped to the ends; null when empty. */
export function interpolateAt(xs: ArrayLike<number>, ys: ArrayLike<number>, at: number): number | null {
  const n = xs.length;
  if (n === 0) return null;
  if (at <= xs[0]) return ys[0];
  if (at >= xs[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= at) lo = mid;
    else hi = mid;
  }
  const f = (at - xs[lo]) / (xs[hi] - xs[lo] || 1);
  return ys[lo] + f * (ys[hi] - ys[lo]);
}

/** Mean of the finite values, or null when there are none. */
export function meanOf(values: Iterable<Value>): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (isNum(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}
