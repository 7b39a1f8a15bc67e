/**
 * Argument checks and tensor construction for image/label batches. Inputs come from data loaders
 * the trainer does not control, so lengths and label ranges are checked before anything touches TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { INPUT_SIZE, NUM_CLASSES } from './config';
import { TrainingError } from './errors';

export type Images = Float32Array | Uint8Array;
export type Labels = Uint8Array | Int32Array;

/** Throws unless `images`/`labels` hold at least `count` examples and `count` is a positive integer. */
export function checkBatch(what: string, images: Images, labels: Labels, count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new TrainingError(`${what}: example count must be a positive integer, got ${count}`);
  }
  if (images.length < count * INPUT_SIZE) {
    throw new TrainingError(
      `${what}: ${count} examples need ${count * INPUT_SIZE} pixel values (${INPUT_SIZE} each), got ${images.length}`,
    );
  }
  if (labels.length < count) {
    throw new TrainingError(`${what}: ${count} examples need ${count} labels, got ${labels.length}`);
  }
}

/**
 * Validated labels as an int32 tensor, copied through a reusable buffer (grown, never shrunk) so a
 * Uint8Array needs no per-call conversion array.
 */
export class LabelStager {
  private buf = new Int32Array(0);

  tensor(labels: Labels, start: number, n: number): tf.Tensor1D {
    if (this.buf.length < n) this.buf = new Int32Array(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      const y = labels[start + i];
      if (!(y >= 0 && y < NUM_CLASSES)) {
        throw new TrainingError(`label ${y} at index ${start + i} is outside 0..${NUM_CLASSES - 1}`);
      }
      buf[i] = y;
    }
    // tf.tensor may keep a reference to buf (cpu backend); callers use the tensor before the next call.
    return tf.tensor1d(buf.subarray(0, n), 'int32');
  }
}

/** `[n, 784]` float inputs for examples start..start+n; bytes are scaled by `pixelScale`. */
export function imageTensor(images: Images, start: number, n: number, pixelScale: number): tf.Tensor2D {
  const view = images.subarray(start * INPUT_SIZE, (start + n) * INPUT_SIZE);
  if (view instanceof Float32Array) return tf.tensor2d(view, [n, INPUT_SIZE], 'float32');
  return tf.tidy(() => tf.mul(tf.tensor2d(view, [n, INPUT_SIZE], 'int32'), tf.scalar(pixelScale)));
}
