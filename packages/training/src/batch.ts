/**
 * Argument checks and tensor construction for batches. Inputs come from data loaders the trainer
 * does not control, so lengths, label and token ranges are checked before anything touches TF.js.
 */
import * as tf from './tf';
import { TrainingError } from './errors';
import type { ModelIO } from './spec';

/** Per example `io.inputSize` values: floats, or bytes (pixels, scaled; token ids, as they are). */
export type Images = Float32Array | Uint8Array;
/** Class indices (classification, sequence) or real targets (regression, Float32Array). */
export type Labels = Uint8Array | Int32Array | Float32Array;

/** Throws unless `inputs`/`targets` hold at least `count` examples and `count` is a positive integer. */
export function checkBatch(what: string, io: ModelIO, inputs: Images, targets: Labels, count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new TrainingError(`${what}: example count must be a positive integer, got ${count}`);
  }
  if (inputs.length < count * io.inputSize) {
    throw new TrainingError(
      `${what}: ${count} examples need ${count * io.inputSize} input values (${io.inputSize} each), got ${inputs.length}`,
    );
  }
  if (targets.length < count * io.targetSize) {
    throw new TrainingError(`${what}: ${count} examples need ${count * io.targetSize} targets, got ${targets.length}`);
  }
}

/**
 * Validated targets as a tensor, copied through reusable buffers (grown, never shrunk) so no call
 * allocates a conversion array: int32 class indices, or float32 [n, outputs] for regression.
 */
export class TargetStager {
  private ints = new Int32Array(0);
  private floats = new Float32Array(0);

  tensor(io: ModelIO, targets: Labels, start: number, n: number): tf.Tensor {
    const len = n * io.targetSize;
    const from = start * io.targetSize;
    const o = io.objective;
    if (o.kind === 'regression') {
      if (this.floats.length < len) this.floats = new Float32Array(len);
      const buf = this.floats;
      for (let i = 0; i < len; i++) {
        const y = targets[from + i];
        if (!Number.isFinite(y)) throw new TrainingError(`target ${y} at index ${from + i} is not a finite number`);
        buf[i] = y;
      }
      return tf.tensor2d(buf.subarray(0, len), [n, o.outputs], 'float32');
    }
    if (this.ints.length < len) this.ints = new Int32Array(len);
    const buf = this.ints;
    for (let i = 0; i < len; i++) {
      const y = targets[from + i];
      if (!(y >= 0 && y < o.classes && Number.isInteger(y))) {
        throw new TrainingError(`label ${y} at index ${from + i} is outside 0..${o.classes - 1}`);
      }
      buf[i] = y;
    }
    // tf.tensor may keep a reference to buf (cpu backend); callers use the tensor before the next call.
    return tf.tensor1d(buf.subarray(0, len), 'int32');
  }
}

/**
 * float32 one-hot rows of `ids`, as rows of an identity matrix. Not `tf.oneHot`: its int32 result
 * reaches an RNN's input transpose, and TF.js 4.22's int32 transpose shader no longer passes WGSL
 * validation (Dawn / Chromium 156), so on webgpu the gradient came out 6e-2 off cpu's with nothing
 * thrown; `tf.oneHot(..., 'float32')` fixes webgpu but the wasm kernel then computes garbage, and a
 * cast of the int32 result still fails on webgpu. A gather works on every backend.
 */
export function oneHotFloat(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.gather(tf.eye(depth), ids));
}

/**
 * The model's input for examples start..start+n: `[n, inputSize]` floats (bytes scaled by
 * `scale`), or for one-hot encoding `[n, length, vocab]` from the token ids (checked in range).
 */
export function inputTensor(io: ModelIO, inputs: Images, start: number, n: number, scale: number, ids: TargetStager): tf.Tensor {
  const view = inputs.subarray(start * io.inputSize, (start + n) * io.inputSize);
  if (io.encoding === 'one-hot') {
    const o = io.objective;
    if (o.kind !== 'sequence') throw new TrainingError('one-hot inputs need a sequence objective');
    return tf.tidy(() => tf.reshape(oneHotFloat(ids.tensor(io, view, 0, n) as tf.Tensor1D, o.classes), [n, io.inputSize, o.classes]));
  }
  const shape = [n, ...io.modelInput];
  if (view instanceof Float32Array) return tf.tensor(view, shape, 'float32');
  return tf.tidy(() => tf.mul(tf.tensor(view, shape, 'int32'), tf.scalar(scale)));
}
