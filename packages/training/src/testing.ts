/**
 * Test fixtures shared by this package's *.test.ts files (not exported from index.ts): synthetic
 * data, and a plain-JS forward/backward pass of a one-hidden-layer MLP to check TF.js against.
 */
import { Rng } from '@starling/core';
import { INPUT_SIZE, NUM_CLASSES } from './config';

/** Uniform values in [-scale, scale). */
export function randomVector(rng: Rng, n: number, scale: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (2 * rng.next() - 1) * scale;
  return v;
}

/**
 * Linearly separable "digits": class c lights rows 2c..2c+2 of the 28x28 image, over noise in
 * [0, noise). Images are floats in [0, 1].
 */
export function syntheticDigits(n: number, seed: number, noise = 0.3): { images: Float32Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const images = new Float32Array(n * INPUT_SIZE);
  const labels = new Uint8Array(n);
  for (let e = 0; e < n; e++) {
    const c = rng.int(NUM_CLASSES);
    labels[e] = c;
    const base = e * INPUT_SIZE;
    for (let p = 0; p < INPUT_SIZE; p++) {
      const row = Math.floor(p / 28);
      images[base + p] = noise * rng.next() + (row >= 2 * c && row < 2 * c + 2 ? 0.7 : 0);
    }
  }
  return { images, labels };
}

/**
 * Loss and gradient of the spec `{ kind: 'mlp', hidden: [h] }` in float64, flat layout
 * W1 [784, h], b1 [h], W2 [h, 10], b2 [10] (row-major, input index first).
 */
export function referenceMlp1(
  x: Float32Array,
  h: number,
  images: Float32Array,
  labels: ArrayLike<number>,
  batch: number,
): { loss: number; grad: Float64Array } {
  const K = NUM_CLASSES;
  const oW1 = 0;
  const oB1 = INPUT_SIZE * h;
  const oW2 = oB1 + h;
  const oB2 = oW2 + h * K;
  const grad = new Float64Array(oB2 + K);
  const pre = new Float64Array(h);
  const act = new Float64Array(h);
  const z = new Float64Array(K);
  const dz = new Float64Array(K);
  let loss = 0;
  for (let e = 0; e < batch; e++) {
    const xin = images.subarray(e * INPUT_SIZE, (e + 1) * INPUT_SIZE);
    for (let j = 0; j < h; j++) {
      let s = x[oB1 + j];
      for (let i = 0; i < INPUT_SIZE; i++) s += xin[i] * x[oW1 + i * h + j];
      pre[j] = s;
      act[j] = s > 0 ? s : 0;
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = x[oB2 + k];
      for (let j = 0; j < h; j++) s += act[j] * x[oW2 + j * K + k];
      z[k] = s;
      if (s > max) max = s;
    }
    let sumExp = 0;
    for (let k = 0; k < K; k++) sumExp += Math.exp(z[k] - max);
    const y = labels[e];
    loss += -(z[y] - max - Math.log(sumExp));
    for (let k = 0; k < K; k++) dz[k] = (Math.exp(z[k] - max) / sumExp - (k === y ? 1 : 0)) / batch;
    for (let k = 0; k < K; k++) grad[oB2 + k] += dz[k];
    for (let j = 0; j < h; j++) {
      let dAct = 0;
      for (let k = 0; k < K; k++) {
        grad[oW2 + j * K + k] += act[j] * dz[k];
        dAct += x[oW2 + j * K + k] * dz[k];
      }
      const dPre = pre[j] > 0 ? dAct : 0;
      grad[oB1 + j] += dPre;
      for (let i = 0; i < INPUT_SIZE; i++) grad[oW1 + i * h + j] += xin[i] * dPre;
    }
  }
  return { loss: loss / batch, grad };
}
