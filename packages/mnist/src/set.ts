import { MnistError } from './errors';

/**
 * A set of digit images, all in memory: the packed form of a split, or one peer's shard.
 * images: count x rows x cols bytes, row-major, image after image; labels: count class indices.
 */
export interface MnistSet {
  readonly rows: number;
  readonly cols: number;
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

export function pixelsPerImage(set: Pick<MnistSet, 'rows' | 'cols'>): number {
  return set.rows * set.cols;
}

/** The examples of `set` at `indices`, in that order, copied into a new set (e.g. one peer's shard). */
export function subset(set: MnistSet, indices: Uint32Array): MnistSet {
  const ppi = pixelsPerImage(set);
  const n = indices.length;
  const images = new Uint8Array(n * ppi);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (i >= set.count) {
      throw new MnistError('bad-option', `index ${i} at position ${k} is outside the set of ${set.count} examples`);
    }
    const src = i * ppi;
    const dst = k * ppi;
    for (let p = 0; p < ppi; p++) images[dst + p] = set.images[src + p];
    labels[k] = set.labels[i];
  }
  return { rows: set.rows, cols: set.cols, count: n, images, labels };
}
