/**
 * The deterministic initial point x0, without TF.js: a page whose training runs in a worker
 * imports this without pulling TF.js into its own bundle.
 */
import { Rng } from '@starling/core';
import { layoutOf, type ModelSpec } from './spec';

/**
 * x0 for a spec: Glorot-uniform kernels (U(-l, l), l = sqrt(6 / (fanIn + fanOut))) drawn in layout
 * order from `Rng(seed)`, zero biases. Plain JS, so every peer, backend and the simulator agree
 * bit for bit on the starting point.
 */
export function initialParams(spec: ModelSpec, seed: number): Float32Array {
  const layout = layoutOf(spec);
  const x = new Float32Array(layout.dim);
  const rng = new Rng(seed);
  for (const e of layout.entries) {
    if (e.role !== 'kernel') continue;
    const limit = Math.sqrt(6 / (e.fanIn + e.fanOut));
    const end = e.offset + e.size;
    for (let i = e.offset; i < end; i++) x[i] = (2 * rng.next() - 1) * limit;
  }
  return x;
}
