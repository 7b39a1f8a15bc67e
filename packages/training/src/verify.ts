/**
 * Backend self-check: run a tiny dense layer on the active TF.js backend and compare it with the
 * same arithmetic in plain JS. `tf.setBackend` resolving true only says a backend initialised, not
 * that its kernels compute the right numbers (software WebGL has been seen reading 0/0 back as 1).
 */
import * as tf from './tf';

const ROWS = 4;
const INNER = 8;
const COLS = 3;

/** Deterministic test values in [-1, 1] with both signs, so ReLU clips some entries and not others. */
function fill(n: number, mul: number, add: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (((i * mul + add) % 17) - 8) / 8;
  return v;
}

export interface Comparison {
  ok: boolean;
  /** Largest `|got - want| / max(1, |want|)` over the entries (Infinity if any entry is NaN/Inf). */
  maxRelError: number;
  /** Entry with the largest error, -1 if lengths differ. */
  worst: number;
}

/** Elementwise check of `got` against `want` with relative tolerance `tol`; NaN always fails. */
export function compareWithReference(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): Comparison {
  if (got.length !== want.length) return { ok: false, maxRelError: Infinity, worst: -1 };
  let maxRelError = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const err = Number.isFinite(g) ? Math.abs(g - want[i]) / Math.max(1, Math.abs(want[i])) : Infinity;
    if (!(err <= maxRelError)) {
      maxRelError = err;
      worst = i;
    }
  }
  return { ok: maxRelError <= tol, maxRelError, worst };
}

/**
 * Largest `|got - want|` over the entries, relative to the largest `|want|`: how far a gradient
 * computed on one backend is from a reference one, on the reference's own scale (entries of a
 * gradient are far below 1, so `compareWithReference`'s per-entry max(1, |want|) would hide a
 * wrong one). Infinity when the lengths differ or any entry is NaN/Inf.
 */
export function scaledMaxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!Number.isFinite(d)) return Infinity;
    if (d > diff) diff = d;
    const w = Math.abs(want[i]);
    if (w > scale) scale = w;
  }
  return diff / Math.max(scale, 1e-30);
}

/** Plain-JS reference: row sums of relu(A B + bias), accumulated in float64. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array): Float64Array {
  const out = new Float64Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    let rowSum = 0;
    for (let c = 0; c < COLS; c++) {
      let s = bias[c];
      for (let k = 0; k < INNER; k++) s += a[r * INNER + k] * b[k * COLS + c];
      rowSum += s > 0 ? s : 0;
    }
    out[r] = rowSum;
  }
  return out;
}

/**
 * Runs matMul + bias + relu + sum on the current backend, reads back with async `data()` (never
 * `dataSync`, which misbehaves on webgpu), and compares with the plain-JS reference.
 */
export async function verifyActiveBackend(tol: number): Promise<Comparison & { got: Float32Array }> {
  const a = fill(ROWS * INNER, 5, 3);
  const b = fill(INNER * COLS, 7, 11);
  const bias = fill(COLS, 3, 2);
  const want = reference(a, b, bias);
  const result = tf.tidy(() => {
    const y = tf.relu(tf.add(tf.matMul(tf.tensor2d(a, [ROWS, INNER]), tf.tensor2d(b, [INNER, COLS])), tf.tensor1d(bias)));
    return tf.sum(y, 1);
  });
  try {
    const got = await result.data<'float32'>();
    return { ...compareWithReference(got, want, tol), got };
  } finally {
    result.dispose();
  }
}
