/**
 * The three hot loops of an R-FAST step. V8 does not vectorise, so each pass over a model-sized
 * vector costs about as much as the arithmetic in it (~0.15 ms per pass at p = 100k here); fusing
 * up to three neighbours into one pass roughly halves a step. Neighbours beyond three get extra
 * passes. Callers guarantee equal lengths; nothing here allocates.
 */
import { blockEnd, blockStart, type BlockLayout } from './blocks';
import type { MassInLink } from './rfast-links';

/** Steps 1-2: v = x - lr z (rounded to float32, as sent); out = w (v + sum_j vhat_j). */
export function descendAndMix(
  x: Float32Array,
  z: Float64Array,
  v: Float32Array,
  out: Float32Array,
  lr: number,
  w: number,
  vhats: readonly Float32Array[],
): void {
  const n = out.length;
  const k = vhats.length;
  if (k === 0) {
    for (let t = 0; t < n; t++) out[t] = v[t] = Math.fround(x[t] - lr * z[t]);
  } else if (k === 1) {
    const a = vhats[0];
    for (let t = 0; t < n; t++) {
      const vt = (v[t] = Math.fround(x[t] - lr * z[t]));
      out[t] = w * (vt + a[t]);
    }
  } else if (k === 2) {
    const a = vhats[0];
    const b = vhats[1];
    for (let t = 0; t < n; t++) {
      const vt = (v[t] = Math.fround(x[t] - lr * z[t]));
      out[t] = w * (vt + a[t] + b[t]);
    }
  } else {
    const a = vhats[0];
    const b = vhats[1];
    const c = vhats[2];
    for (let t = 0; t < n; t++) {
      const vt = (v[t] = Math.fround(x[t] - lr * z[t]));
      out[t] = w * (vt + a[t] + b[t] + c[t]);
    }
    for (let j = 3; j < k; j++) {
      const e = vhats[j];
      for (let t = 0; t < n; t++) out[t] += w * e[t];
    }
  }
}

/**
 * Step 3: z += rhoNew_j - rhoTilde_j; rhoTilde_j = rhoNew_j, for every block where some link
 * holds new mass (a link without new mass there contributes exactly zero).
 */
export function consumeMass(z: Float64Array, links: readonly MassInLink[], layout: BlockLayout): void {
  for (let b = 0; b < layout.count; b++) {
    let fresh = 0;
    for (const l of links) {
      fresh |= l.fresh[b];
      l.fresh[b] = 0;
    }
    if (fresh === 0) continue;
    const from = blockStart(layout, b);
    const to = blockEnd(layout, b);
    for (let j = 0; j < links.length; j += 3) consumeGroup(z, links, j, from, to);
  }
}

/** Up to three links fused into one pass over [from, to). */
function consumeGroup(z: Float64Array, links: readonly MassInLink[], j: number, from: number, to: number): void {
  const m = Math.min(3, links.length - j);
  const a = links[j];
  if (m === 1) {
    const an = a.rhoNew;
    const at = a.rhoTilde;
    for (let t = from; t < to; t++) z[t] += an[t] - at[t];
  } else if (m === 2) {
    const an = a.rhoNew;
    const at = a.rhoTilde;
    const bn = links[j + 1].rhoNew;
    const bt = links[j + 1].rhoTilde;
    for (let t = from; t < to; t++) z[t] += an[t] - at[t] + (bn[t] - bt[t]);
  } else {
    const an = a.rhoNew;
    const at = a.rhoTilde;
    const bn = links[j + 1].rhoNew;
    const bt = links[j + 1].rhoTilde;
    const cn = links[j + 2].rhoNew;
    const ct = links[j + 2].rhoTilde;
    for (let t = from; t < to; t++) z[t] += an[t] - at[t] + (bn[t] - bt[t]) + (cn[t] - ct[t]);
  }
  for (let i = j; i < j + m; i++) links[i].rhoTilde.set(links[i].rhoNew.subarray(from, to), from); // memcpy
}

/**
 * Steps 4-5: z = c (z + grad - g); g = grad; rho += z. With C_ki = C_ii = c every out-neighbour
 * gets the same share as the one kept, so one running sum `rho` serves all of them (null: no
 * out-neighbour, nothing pushed).
 */
export function trackAndPush(z: Float64Array, g: Float32Array, grad: Float32Array, c: number, rho: Float64Array | null): void {
  const n = z.length;
  if (rho === null) {
    for (let t = 0; t < n; t++) {
      const gt = grad[t];
      z[t] = c * (z[t] + (gt - g[t]));
      g[t] = gt;
    }
    return;
  }
  for (let t = 0; t < n; t++) {
    const gt = grad[t];
    const zn = (z[t] = c * (z[t] + (gt - g[t])));
    g[t] = gt;
    rho[t] += zn;
  }
}
