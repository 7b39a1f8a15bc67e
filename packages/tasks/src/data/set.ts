import { DataError } from './errors';

/**
 * A data set, all in memory: a split of a task's data or one peer's shard.
 *
 * - 'examples': `count` examples of `featureShape` values each (bytes: pixels, scaled by 1/255 on
 *   the way to the model; or float32 features), with one target each: a class index (u8, each <
 *   `classes`) or a real value (float32, `classes` 0).
 * - 'stream': `count` tokens (bytes, each < `classes`, the vocabulary size) of one long sequence; a
 *   model reads windows of it and predicts each next token. `featureShape` is [1], no targets.
 */
export interface DataSet {
  readonly layout: 'examples' | 'stream';
  readonly featureShape: readonly number[];
  readonly features: Uint8Array | Float32Array;
  readonly targets: Uint8Array | Float32Array | null;
  readonly count: number;
  readonly classes: number;
}

/** Values per example (1 per token of a stream). */
export function featureSize(set: Pick<DataSet, 'featureShape'>): number {
  let n = 1;
  for (const d of set.featureShape) n *= d;
  return n;
}

function like<T extends Uint8Array | Float32Array>(a: T, n: number): T {
  return (a instanceof Float32Array ? new Float32Array(n) : new Uint8Array(n)) as T;
}

/** The examples of `set` at `indices`, in that order, copied into a new set (e.g. one peer's shard). */
export function subset(set: DataSet, indices: Uint32Array): DataSet {
  if (set.layout !== 'examples') throw new DataError('bad-option', 'subset() picks examples; cut a stream with sliceStream()');
  const fs = featureSize(set);
  const n = indices.length;
  const features = like(set.features, n * fs);
  const targets = set.targets ? like(set.targets, n) : null;
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (i >= set.count) {
      throw new DataError('bad-option', `index ${i} at position ${k} is outside the set of ${set.count} examples`);
    }
    features.set(set.features.subarray(i * fs, (i + 1) * fs), k * fs);
    if (targets) targets[k] = set.targets![i];
  }
  return { layout: 'examples', featureShape: set.featureShape, features, targets, count: n, classes: set.classes };
}

/** Tokens `ranges` ([start, end) pairs) of a stream, concatenated into a new stream. */
export function sliceStream(set: DataSet, ranges: readonly (readonly [number, number])[]): DataSet {
  if (set.layout !== 'stream') throw new DataError('bad-option', 'sliceStream() cuts a stream; pick examples with subset()');
  let n = 0;
  for (const [a, b] of ranges) {
    if (!(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b && b <= set.count)) {
      throw new DataError('bad-option', `range [${a}, ${b}) is outside the stream of ${set.count} tokens`);
    }
    n += b - a;
  }
  const features = like(set.features, n);
  let at = 0;
  for (const [a, b] of ranges) {
    features.set(set.features.subarray(a, b), at);
    at += b - a;
  }
  return { layout: 'stream', featureShape: [1], features, targets: null, count: n, classes: set.classes };
}

/** The class index of each example (the labels shards are cut by); null for regression and streams. */
export function classLabels(set: DataSet): Uint8Array | null {
  return set.layout === 'examples' && set.targets instanceof Uint8Array ? set.targets : null;
}
