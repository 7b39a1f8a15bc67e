/**
 * Block layout of a flat vector: every algorithm splits its vectors the same way, so a block index
 * alone tells a receiver which coordinates a message covers.
 */
export interface BlockLayout {
  readonly dim: number;
  readonly blockSize: number;
  readonly count: number;
}

export function blockLayout(dim: number, blockSize: number): BlockLayout {
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(blockSize) || blockSize <= 0) {
    throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  }
  return { dim, blockSize, count: Math.ceil(dim / blockSize) };
}

/** First coordinate of block b. */
export function blockStart(l: BlockLayout, b: number): number {
  return b * l.blockSize;
}

/** One past the last coordinate of block b. */
export function blockEnd(l: BlockLayout, b: number): number {
  return Math.min(l.dim, (b + 1) * l.blockSize);
}

/** Does (block, offset, length) describe exactly one block of this layout? */
export function isValidBlock(l: BlockLayout, block: number, offset: number, length: number): boolean {
  return (
    Number.isInteger(block) &&
    block >= 0 &&
    block < l.count &&
    offset === blockStart(l, block) &&
    length === blockEnd(l, block) - offset
  );
}

/** True when every element is finite. A plain loop: this runs on every received block. */
export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return false; // NaN and ±Infinity both give NaN here
  }
  return true;
}
