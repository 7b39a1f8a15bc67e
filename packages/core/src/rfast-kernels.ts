/**
 * The hot loops of an R-FAST step, each in plain JavaScript and, where the peer's state lives in
 * a KernelMemory with SIMD (`k` not null), as a call into the WebAssembly kernels of rfast-wat.ts,
 * which compute the same values bit for bit about three times faster (V8 does not vectorise).
 * - Steps 3, 1 and 2 run block by block, so the z block that step 3 updates is still in L1/L2
 *   when the descent reads it.
 * - Step 3 swaps rhoNew/rhoTilde block views instead of copying rhoNew into rhoTilde.
 * - Up to three neighbours are fused into one pass; neighbours beyond three get extra passes.
 * Callers guarantee equal lengths and, with `k`, that every array is a view into k's memory.
 * Nothing here allocates.
 */
import { blockEnd, blockStart, type BlockLayout } from './blocks';
import type { MassLinks, PullLinks } from './rfast-links';
import type { SimdExports } from './rfast-simd';

/**
 * Step 3 then steps 1-2, block by block (see RFast.beginStep for why 3 comes first). Step 2 mixes,
 * per block, the copies that arrived since the last step, each once, with uniform weights over
 * itself and them (1 / (m + 1) for m fresh copies): while every neighbour's copy is renewed every
 * step this is the spec's R_ij = 1 / (|N_R| + 1); a copy that was not renewed is not mixed again,
 * since mixing the same stale copy every step would pull the model back to it every step. `mix` is
 * scratch room for the fresh copies (length >= the number of in-links).
 */
export function consumeDescendMix(
  x: Float32Array,
  z: Float64Array,
  v: Float32Array,
  out: Float32Array,
  lr: number,
  pull: PullLinks,
  mix: Float32Array[],
  links: MassLinks,
  layout: BlockLayout,
  k: SimdExports | null,
): void {
  const views = pull.views;
  const fresh = pull.fresh;
  const count = layout.count;
  for (let b = 0; b < count; b++) {
    const from = blockStart(layout, b);
    const to = blockEnd(layout, b);
    consumeBlock(z, links, b, from, to - from, count, k);
    let m = 0;
    for (let j = 0; j < views.length; j++) {
      const slot = j * count + b;
      if (fresh[slot] === 1) {
        fresh[slot] = 0;
        mix[m++] = views[j];
      }
    }
    mix.length = m;
    descendAndMix(x, z, v, out, lr, 1 / (m + 1), mix, from, to, k);
  }
}

/**
 * Step 3 on block b: z += rhoNew_j - rhoTilde_j, then rhoTilde_j = rhoNew_j, for each link j
 * holding new mass there (a link without new mass contributes exactly zero and is skipped).
 * rhoTilde = rhoNew is a flip of which half plays which role; the offsets are taken first.
 */
function consumeBlock(z: Float64Array, links: MassLinks, b: number, from: number, n: number, count: number, k: SimdExports | null): void {
  const m = links.sums;
  let held = 0;
  let an = 0;
  let at = 0;
  let bn = 0;
  let bt = 0;
  for (let j = 0; j < links.index.size; j++) {
    const slot = j * count + b;
    if (links.fresh[slot] === 0) continue;
    const cn = links.newAt(j, b, from);
    const ct = links.tildeAt(j, b, from);
    links.tildeHalf[slot] ^= 1;
    links.fresh[slot] = 0;
    if (held === 0) {
      an = cn;
      at = ct;
      held = 1;
    } else if (held === 1) {
      bn = cn;
      bt = ct;
      held = 2;
    } else {
      if (k === null) consume3(z, from, m, an, at, bn, bt, cn, ct, n);
      else {
        const p = m.byteOffset;
        k.consume3(z.byteOffset + 8 * from, p + 8 * an, p + 8 * at, p + 8 * bn, p + 8 * bt, p + 8 * cn, p + 8 * ct, n);
      }
      held = 0;
    }
  }
  if (held === 0) return;
  if (k === null) {
    if (held === 1) consume1(z, from, m, an, at, n);
    else consume2(z, from, m, an, at, bn, bt, n);
  } else {
    const p = m.byteOffset;
    if (held === 1) k.consume1(z.byteOffset + 8 * from, p + 8 * an, p + 8 * at, n);
    else k.consume2(z.byteOffset + 8 * from, p + 8 * an, p + 8 * at, p + 8 * bn, p + 8 * bt, n);
  }
}

// z[zf + t] += (m[an + t] - m[at + t]) + ...: one link's new mass is the difference of its halves.
function consume1(z: Float64Array, zf: number, m: Float64Array, an: number, at: number, n: number): void {
  for (let t = 0; t < n; t++) z[zf + t] += m[an + t] - m[at + t];
}

function consume2(z: Float64Array, zf: number, m: Float64Array, an: number, at: number, bn: number, bt: number, n: number): void {
  for (let t = 0; t < n; t++) z[zf + t] += m[an + t] - m[at + t] + (m[bn + t] - m[bt + t]);
}

function consume3(
  z: Float64Array,
  zf: number,
  m: Float64Array,
  an: number,
  at: number,
  bn: number,
  bt: number,
  cn: number,
  ct: number,
  n: number,
): void {
  for (let t = 0; t < n; t++) z[zf + t] += m[an + t] - m[at + t] + (m[bn + t] - m[bt + t]) + (m[cn + t] - m[ct + t]);
}

/**
 * Steps 1-2 on [from, to): v = x - lr z (rounded to float32, as sent); out = w (v + sum_j vhat_j).
 * With `simd`, through the WebAssembly kernels, which compute the same values.
 */
export function descendAndMix(
  x: Float32Array,
  z: Float64Array,
  v: Float32Array,
  out: Float32Array,
  lr: number,
  w: number,
  vhats: readonly Float32Array[],
  from: number,
  to: number,
  simd: SimdExports | null,
): void {
  if (simd !== null) {
    const n = to - from;
    const f32 = 4 * from; // byte offset of the block in a Float32Array; twice that in a Float64Array
    const px = x.byteOffset + f32;
    const pz = z.byteOffset + 2 * f32;
    const pv = v.byteOffset + f32;
    const po = out.byteOffset + f32;
    switch (vhats.length) {
      case 0:
        simd.descendMix0(px, pz, pv, po, n, lr);
        return;
      case 1:
        simd.descendMix1(px, pz, pv, po, vhats[0].byteOffset + f32, n, lr, w);
        return;
      case 2:
        simd.descendMix2(px, pz, pv, po, vhats[0].byteOffset + f32, vhats[1].byteOffset + f32, n, lr, w);
        return;
      default:
        simd.descendMix3(px, pz, pv, po, vhats[0].byteOffset + f32, vhats[1].byteOffset + f32, vhats[2].byteOffset + f32, n, lr, w);
        for (let j = 3; j < vhats.length; j++) simd.addScaled(po, vhats[j].byteOffset + f32, n, w);
    }
    return;
  }
  const k = vhats.length;
  if (k === 0) {
    for (let t = from; t < to; t++) out[t] = v[t] = Math.fround(x[t] - lr * z[t]);
  } else if (k === 1) {
    const a = vhats[0];
    for (let t = from; t < to; t++) {
      const vt = (v[t] = Math.fround(x[t] - lr * z[t]));
      out[t] = w * (vt + a[t]);
    }
  } else if (k === 2) {
    const a = vhats[0];
    const b = vhats[1];
    for (let t = from; t < to; t++) {
      const vt = (v[t] = Math.fround(x[t] - lr * z[t]));
      out[t] = w * (vt + a[t] + b[t]);
    }
  } else {
    const a = vhats[0];
    const b = vhats[1];
    const c = vhats[2];
    for (let t = from; t < to; t++) {
      const vt = (v[t] = Math.fround(x[t] - lr * z[t]));
      out[t] = w * (vt + a[t] + b[t] + c[t]);
    }
    for (let j = 3; j < k; j++) {
      const e = vhats[j];
      for (let t = from; t < to; t++) out[t] += w * e[t];
    }
  }
}

/**
 * Step 4: z += grad - g; g = grad. Computed as 1 * (z + (grad - g)), the SIMD kernel's `track`
 * with c = 1 (exact), so both kernel kinds give the same bits. The push (step 5) happens at send
 * time, per block (rfast-sends.ts).
 */
export function track(z: Float64Array, g: Float32Array, grad: Float32Array, k: SimdExports | null): void {
  const n = z.length;
  if (k !== null) {
    k.track(z.byteOffset, g.byteOffset, grad.byteOffset, n, 1);
    return;
  }
  for (let t = 0; t < n; t++) {
    const gt = grad[t];
    z[t] = z[t] + (gt - g[t]);
    g[t] = gt;
  }
}
