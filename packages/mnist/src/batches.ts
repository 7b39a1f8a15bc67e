/**
 * Minibatches from an in-memory set into caller-owned buffers: the training loop allocates its input
 * tensors' backing arrays once and this only writes into them.
 */
import { Rng } from '@starling/core';
import { MnistError } from './errors';
import { shuffleInPlace } from './random';
import { pixelsPerImage, type MnistSet } from './set';

/** PIXEL[v] = v / 255 as float32: a table lookup per pixel instead of a division. */
const PIXEL = new Float32Array(256);
for (let v = 0; v < 256; v++) PIXEL[v] = v / 255;

export type LabelBuffer = Int32Array | Uint8Array;

function checkBuffers(set: MnistSet, n: number, x: Float32Array, y: LabelBuffer): void {
  const need = n * pixelsPerImage(set);
  if (x.length !== need || y.length !== n) {
    throw new MnistError(
      'bad-option',
      `a batch of ${n} needs x of ${need} floats and y of ${n} labels, got ${x.length} and ${y.length}`,
    );
  }
}

/**
 * Copies examples start..start+n-1 in order (evaluation batches); pixels scaled to [0, 1].
 * x.length must be n x rows x cols and y.length n.
 */
export function copyExamples(set: MnistSet, start: number, n: number, x: Float32Array, y: LabelBuffer): void {
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > set.count) {
    throw new MnistError('bad-option', `examples ${start}..${start + n - 1} are outside the set of ${set.count}`);
  }
  checkBuffers(set, n, x, y);
  const ppi = pixelsPerImage(set);
  const images = set.images;
  const src0 = start * ppi;
  for (let p = 0; p < n * ppi; p++) x[p] = PIXEL[images[src0 + p]];
  for (let b = 0; b < n; b++) y[b] = set.labels[start + b];
}

export interface SamplerOptions {
  batchSize: number;
  seed: number;
}

/**
 * Seeded epoch-wise sampling without replacement: each epoch visits every example once in a fresh
 * order. Batches are always full; a batch that runs past the end of an epoch continues with the next
 * epoch's order (fixed tensor shapes for the model).
 */
export class ShardSampler {
  readonly batchSize: number;
  private readonly order: Uint32Array;
  private readonly rng: Rng;
  private pos = 0;
  private epochIndex = 0;

  constructor(
    private readonly set: MnistSet,
    opts: SamplerOptions,
  ) {
    if (set.count < 1) throw new MnistError('bad-option', 'cannot sample from an empty set');
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new MnistError('bad-option', `batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    if (!Number.isInteger(opts.seed)) throw new MnistError('bad-option', `seed must be an integer, got ${opts.seed}`);
    this.batchSize = opts.batchSize;
    this.rng = new Rng(opts.seed);
    this.order = new Uint32Array(set.count);
    for (let i = 0; i < set.count; i++) this.order[i] = i;
    shuffleInPlace(this.order, this.rng);
  }

  /** Epoch of the next example to be drawn (0 during the first pass). */
  get epoch(): number {
    return this.epochIndex;
  }

  /** Examples drawn so far in the current epoch. */
  get position(): number {
    return this.pos;
  }

  /** Fills x (batchSize x rows x cols floats, pixels / 255) and y (batchSize labels). */
  next(x: Float32Array, y: LabelBuffer): void {
    const { set, order, batchSize } = this;
    checkBuffers(set, batchSize, x, y);
    const ppi = pixelsPerImage(set);
    const images = set.images;
    for (let b = 0; b < batchSize; b++) {
      const i = order[this.pos++];
      const src = i * ppi;
      const dst = b * ppi;
      for (let p = 0; p < ppi; p++) x[dst + p] = PIXEL[images[src + p]];
      y[b] = set.labels[i];
      if (this.pos === order.length) {
        // Eagerly, so epoch/position describe the next draw.
        this.pos = 0;
        this.epochIndex++;
        shuffleInPlace(order, this.rng);
      }
    }
  }
}
