/** Seeded sampling helpers on top of core's Rng (no Math.random: splits must be reproducible). */
import type { Rng } from '@starling/core';

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace(a: Uint32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** Gamma(shape, 1) variate, Marsaglia-Tsang; shape < 1 through the boost Gamma(shape+1) * U^(1/shape). */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.next();
    return gamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Fills `out` with one draw from the symmetric Dirichlet(alpha). For tiny alpha every gamma draw can
 * underflow to 0; the limit of the distribution is then all mass on one uniformly chosen coordinate.
 */
export function dirichlet(rng: Rng, alpha: number, out: Float64Array): void {
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = gamma(rng, alpha);
    sum += out[k];
  }
  if (sum > 0) {
    for (let k = 0; k < out.length; k++) out[k] /= sum;
  } else {
    out.fill(0);
    out[rng.int(out.length)] = 1;
  }
}
