/**
 * Minibatches from an in-memory set into caller-owned buffers: the training loop allocates its input
 * tensors' backing arrays once and this only writes into them.
 */
import { Rng } from '@starling/core';
import { DATA_CONFIG } from './config';
import { DataError } from './errors';
import { shuffleInPlace } from './random';
import { featureSize, type DataSet } from './set';

/** BYTE[v] = v * byteScale as float32: a table lookup per pixel instead of a multiplication. */
const BYTE = new Float32Array(256);
for (let v = 0; v < 256; v++) BYTE[v] = v * DATA_CONFIG.byteScale;

export type TargetBuffer = Int32Array | Uint8Array | Float32Array;

export interface SamplerOptions {
  batchSize: number;
  seed: number;
  /** Stream sets: tokens per window (the model's sequence length). */
  length?: number;
}

/** Fills one batch per call; `inputSize` and `targetSize` values per example. */
export interface BatchSampler {
  readonly batchSize: number;
  readonly inputSize: number;
  readonly targetSize: number;
  next(x: Float32Array, y: TargetBuffer): void;
}

function checkBuffers(s: BatchSampler, x: Float32Array, y: TargetBuffer): void {
  if (x.length !== s.batchSize * s.inputSize || y.length !== s.batchSize * s.targetSize) {
    throw new DataError(
      'bad-option',
      `a batch of ${s.batchSize} needs x of ${s.batchSize * s.inputSize} floats and y of ${s.batchSize * s.targetSize} targets, got ${x.length} and ${y.length}`,
    );
  }
}

function checkOptions(opts: SamplerOptions): void {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new DataError('bad-option', `batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  if (!Number.isInteger(opts.seed)) throw new DataError('bad-option', `seed must be an integer, got ${opts.seed}`);
}

/** Copies example i's features into x at `dst`: bytes scaled to [0, 1], floats as they are. */
function copyFeatures(set: DataSet, i: number, x: Float32Array, dst: number, fs: number): void {
  const src = i * fs;
  const f = set.features;
  if (f instanceof Float32Array) {
    x.set(f.subarray(src, src + fs), dst);
  } else {
    for (let p = 0; p < fs; p++) x[dst + p] = BYTE[f[src + p]];
  }
}

/**
 * Copies examples start..start+n-1 in order (evaluation batches); byte pixels scaled to [0, 1].
 * x.length must be n x featureSize and y.length n.
 */
export function copyExamples(set: DataSet, start: number, n: number, x: Float32Array, y: TargetBuffer): void {
  if (set.layout !== 'examples') throw new DataError('bad-option', 'copyExamples() reads an examples set');
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > set.count) {
    throw new DataError('bad-option', `examples ${start}..${start + n - 1} are outside the set of ${set.count}`);
  }
  const fs = featureSize(set);
  if (x.length !== n * fs || y.length !== n) {
    throw new DataError('bad-option', `${n} examples need x of ${n * fs} floats and y of ${n} targets, got ${x.length} and ${y.length}`);
  }
  for (let b = 0; b < n; b++) {
    copyFeatures(set, start + b, x, b * fs, fs);
    y[b] = set.targets![start + b];
  }
}

/**
 * Seeded epoch-wise sampling of examples without replacement: each epoch visits every example once
 * in a fresh order. Batches are always full; a batch that runs past the end of an epoch continues
 * with the next epoch's order (fixed tensor shapes for the model).
 */
export class ExampleSampler implements BatchSampler {
  readonly batchSize: number;
  readonly inputSize: number;
  readonly targetSize = 1;
  private readonly order: Uint32Array;
  private readonly rng: Rng;
  private pos = 0;
  private epochIndex = 0;

  constructor(
    private readonly set: DataSet,
    opts: SamplerOptions,
  ) {
    if (set.layout !== 'examples') throw new DataError('bad-option', 'ExampleSampler reads an examples set; use WindowSampler for a stream');
    if (set.count < 1) throw new DataError('bad-option', 'cannot sample from an empty set');
    checkOptions(opts);
    this.batchSize = opts.batchSize;
    this.inputSize = featureSize(set);
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

  /** Fills x (batchSize x featureSize floats) and y (batchSize targets). */
  next(x: Float32Array, y: TargetBuffer): void {
    checkBuffers(this, x, y);
    const { set, order, batchSize, inputSize } = this;
    for (let b = 0; b < batchSize; b++) {
      const i = order[this.pos++];
      copyFeatures(set, i, x, b * inputSize, inputSize);
      y[b] = set.targets![i];
      if (this.pos === order.length) {
        // Eagerly, so epoch/position describe the next draw.
        this.pos = 0;
        this.epochIndex++;
        shuffleInPlace(order, this.rng);
      }
    }
  }
}

/**
 * Windows of a token stream: each example is `length` tokens starting at a seeded uniform position,
 * its targets the `length` tokens one further on (the next token at every position).
 */
export class WindowSampler implements BatchSampler {
  readonly batchSize: number;
  readonly inputSize: number;
  readonly targetSize: number;
  private readonly rng: Rng;

  constructor(
    private readonly set: DataSet,
    opts: SamplerOptions,
  ) {
    if (set.layout !== 'stream') throw new DataError('bad-option', 'WindowSampler reads a stream; use ExampleSampler for examples');
    checkOptions(opts);
    const length = opts.length ?? 0;
    if (!Number.isInteger(length) || length < 1) throw new DataError('bad-option', `a stream sampler needs a window length >= 1, got ${opts.length}`);
    if (set.count < length + 1) throw new DataError('bad-option', `a stream of ${set.count} tokens has no window of ${length} + 1`);
    this.batchSize = opts.batchSize;
    this.inputSize = length;
    this.targetSize = length;
    this.rng = new Rng(opts.seed);
  }

  next(x: Float32Array, y: TargetBuffer): void {
    checkBuffers(this, x, y);
    const { set, batchSize, inputSize: len } = this;
    const tokens = set.features;
    const starts = set.count - len;
    for (let b = 0; b < batchSize; b++) {
      const s = this.rng.int(starts);
      for (let p = 0; p < len; p++) {
        x[b * len + p] = tokens[s + p];
        y[b * len + p] = tokens[s + p + 1];
      }
    }
  }
}

/** The sampler for a set's layout (`length` is the window of a stream). */
export function createSampler(set: DataSet, opts: SamplerOptions): BatchSampler {
  return set.layout === 'stream' ? new WindowSampler(set, opts) : new ExampleSampler(set, opts);
}

/** A set as whole evaluation arrays: `count` examples of inputs and targets. */
export interface EvalArrays {
  inputs: Uint8Array | Float32Array;
  targets: Uint8Array | Int32Array | Float32Array;
  count: number;
}

/**
 * The first `maxCount` examples of a set for evaluation. An examples set is returned as it is
 * (byte pixels are scaled by the trainer); a stream becomes consecutive non-overlapping windows of
 * `length` tokens with their next-token targets.
 */
export function evalArrays(set: DataSet, maxCount: number, length?: number): EvalArrays {
  if (set.layout === 'examples') {
    const count = Math.min(maxCount, set.count);
    const fs = featureSize(set);
    return { inputs: set.features.subarray(0, count * fs), targets: set.targets!.subarray(0, count), count };
  }
  if (!Number.isInteger(length) || length! < 1) throw new DataError('bad-option', `stream evaluation needs a window length >= 1, got ${length}`);
  const len = length!;
  const count = Math.min(maxCount, Math.floor((set.count - 1) / len));
  const inputs = new Uint8Array(count * len);
  const targets = new Uint8Array(count * len);
  inputs.set(set.features.subarray(0, count * len));
  targets.set(set.features.subarray(1, count * len + 1));
  return { inputs, targets, count };
}
