/**
 * Building the TF.js model for a spec, and the deterministic initial point x0.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@starling/core';
import { IMAGE_SIDE, INPUT_SIZE, NUM_CLASSES } from './config';
import { layoutOf, validateSpec, type ModelSpec } from './spec';

/**
 * A `tf.Sequential` taking flat `[batch, 784]` inputs and returning `[batch, 10]` logits, so it can
 * be saved in TF.js format and read back with `tf.loadLayersModel`. Its weights start at zero: the
 * real values always come from a flat vector (`initialParams`, a peer's x) through `FlatParams`,
 * which keeps every peer bit-identical regardless of backend and skips TF.js's own random init.
 */
export function buildModel(spec: ModelSpec): tf.Sequential {
  validateSpec(spec);
  const init = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  const model = tf.sequential();
  if (spec.kind === 'mlp') {
    let first = true;
    for (const units of spec.hidden) {
      model.add(
        tf.layers.dense({ units, activation: 'relu', ...init, ...(first ? { inputShape: [INPUT_SIZE] } : {}) }),
      );
      first = false;
    }
    model.add(tf.layers.dense({ units: NUM_CLASSES, ...init, ...(first ? { inputShape: [INPUT_SIZE] } : {}) }));
    return model;
  }
  // Flat inputs for both kinds keep the trainer and the data pipeline model-agnostic.
  model.add(tf.layers.reshape({ inputShape: [INPUT_SIZE], targetShape: [IMAGE_SIDE, IMAGE_SIDE, 1] }));
  for (const filters of spec.filters) {
    model.add(
      tf.layers.conv2d({ filters, kernelSize: spec.kernelSize, padding: 'same', activation: 'relu', ...init }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  }
  model.add(tf.layers.flatten());
  for (const units of spec.dense) model.add(tf.layers.dense({ units, activation: 'relu', ...init }));
  model.add(tf.layers.dense({ units: NUM_CLASSES, ...init }));
  return model;
}

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
