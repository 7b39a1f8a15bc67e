/**
 * The bridge between a flat Float32Array (what peers exchange) and the model's weight variables.
 */
import * as tf from './tf';
import { ModelSpecError, TrainingError } from './errors';
import { firstNonFinite } from './finite';
import type { WeightLayout } from './spec';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The tf.Variables behind a Keras model's trainable weights, checked against the layout. */
export function bindVariables(model: tf.LayersModel, layout: WeightLayout): tf.Variable[] {
  const weights = model.trainableWeights;
  if (weights.length !== layout.entries.length) {
    throw new ModelSpecError(
      `model has ${weights.length} trainable weights but the spec's layout has ${layout.entries.length}: model and spec disagree`,
    );
  }
  const vars: tf.Variable[] = [];
  for (let i = 0; i < weights.length; i++) {
    const e = layout.entries[i];
    const t = weights[i].read();
    // LayerVariable.read() is typed as Tensor but returns its backing tf.Variable.
    if (typeof (t as Partial<tf.Variable>).assign !== 'function') {
      throw new ModelSpecError(`weight ${weights[i].name} is not backed by a tf.Variable`);
    }
    if (!sameShape(t.shape, e.shape)) {
      throw new ModelSpecError(
        `weight ${weights[i].name} has shape [${t.shape}] but layout entry ${e.name} expects [${e.shape}]`,
      );
    }
    vars.push(t as tf.Variable);
  }
  return vars;
}

/**
 * Flat view of a model's parameters. The layout fixes the order (Keras `trainableWeights` order:
 * kernel then bias, layer by layer) and each tensor's offset.
 */
export class FlatParams {
  readonly dim: number;
  readonly variables: readonly tf.Variable[];
  /**
   * Private copy of the last vector set. TF.js's cpu (and, until first use, webgl/webgpu) backend
   * keeps a reference to the typed array a tensor was made from instead of copying it; building the
   * tensors from this buffer, not the caller's, stops later writes to the caller's x from silently
   * changing the model. Allocated once, reused every step.
   */
  private readonly staging: Float32Array;

  constructor(
    model: tf.LayersModel,
    readonly layout: WeightLayout,
    private readonly rejectNonFinite = true,
  ) {
    this.variables = bindVariables(model, layout);
    this.dim = layout.dim;
    this.staging = new Float32Array(layout.dim);
  }

  /** Assigns `x` into the model's variables. Throws TrainingError on a wrong length or NaN/Inf. */
  setParams(x: Float32Array): void {
    if (x.length !== this.dim) {
      throw new TrainingError(`parameter vector has length ${x.length}, the model needs ${this.dim}`);
    }
    if (this.rejectNonFinite) {
      const bad = firstNonFinite(x);
      if (bad >= 0) throw new TrainingError(`parameter vector holds ${x[bad]} at index ${bad}; refusing to load it`);
    }
    this.staging.set(x);
    const entries = this.layout.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const t = tf.tensor(this.staging.subarray(e.offset, e.offset + e.size), e.shape as number[], 'float32');
      this.variables[i].assign(t);
      t.dispose();
    }
  }

  /** Copies the model's current parameters into `out` with one device read-back. */
  async getParams(out: Float32Array): Promise<void> {
    if (out.length !== this.dim) {
      throw new TrainingError(`output vector has length ${out.length}, the model has ${this.dim} parameters`);
    }
    const flat = flattenTensors(this.variables);
    try {
      out.set(await flat.data<'float32'>());
    } finally {
      flat.dispose();
    }
  }
}

/** Concatenates tensors, each flattened, into one 1-D tensor (one read-back instead of one per tensor). */
export function flattenTensors(ts: readonly tf.Tensor[], extra?: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const parts: tf.Tensor1D[] = [];
    for (const t of ts) parts.push(tf.reshape(t, [-1]) as tf.Tensor1D);
    if (extra) parts.push(tf.reshape(extra, [-1]) as tf.Tensor1D);
    return tf.concat1d(parts);
  });
}
