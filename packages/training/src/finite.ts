/** Index of the first NaN/Inf in `v`, or -1. One fused loop: it runs on every model-sized vector. */
export function firstNonFinite(v: Float32Array): number {
  for (let i = 0; i < v.length; i++) {
    // x - x is 0 for finite x and NaN for NaN/Inf: one subtraction instead of a call per element.
    if (v[i] - v[i] !== 0) return i;
  }
  return -1;
}
