/**
 * Binary form of an MnistSet: the packed split files on disk and the shard payloads a browser
 * fetches over HTTP use the same layout. Little-endian; header 24 bytes:
 *
 *   off size field
 *     0   4  magic       u32  0x54534e4d (bytes "MNST")
 *     4   2  version     u16  SET_VERSION
 *     6   2  rows        u16  > 0
 *     8   2  cols        u16  > 0
 *    10   2  pad         u16  0
 *    12   4  count       u32  examples
 *    16   4  shardIndex  u32  < shardCount (a whole split is shard 0 of 1)
 *    20   4  shardCount  u32  >= 1
 *    24      images      count x rows x cols u8, row-major
 *            labels      count u8, each < MNIST_CONFIG.classes
 */
import { MNIST_CONFIG } from './config';
import { MnistError } from './errors';
import { pixelsPerImage, type MnistSet } from './set';

export const SET_MAGIC = 0x54534e4d;
export const SET_VERSION = 1;
export const SET_HEADER_BYTES = 24;

/** Which part of a split a payload holds. */
export interface ShardRef {
  readonly index: number;
  readonly of: number;
}

export interface SetHeader {
  readonly rows: number;
  readonly cols: number;
  readonly count: number;
  readonly shard: ShardRef;
  /** Exact byte length of the whole payload this header announces. */
  readonly totalBytes: number;
}

export type DecodedSet = MnistSet & { readonly shard: ShardRef };

/** What the caller expects to receive; every given field is checked. */
export interface SetExpectation {
  rows?: number;
  cols?: number;
  count?: number;
  shard?: ShardRef;
}

export function encodedSize(set: Pick<MnistSet, 'rows' | 'cols' | 'count'>): number {
  return SET_HEADER_BYTES + set.count * (pixelsPerImage(set) + 1);
}

function checkDims(set: MnistSet): void {
  const okDim = (v: number) => Number.isInteger(v) && v > 0 && v <= 0xffff;
  if (!okDim(set.rows) || !okDim(set.cols)) {
    throw new MnistError('bad-option', `rows and cols must be integers in 1..65535, got ${set.rows} x ${set.cols}`);
  }
  if (!Number.isInteger(set.count) || set.count < 0 || set.count > 0xffffffff) {
    throw new MnistError('bad-option', `count must be a u32, got ${set.count}`);
  }
  if (set.images.length !== set.count * pixelsPerImage(set) || set.labels.length !== set.count) {
    throw new MnistError(
      'bad-option',
      `a set of ${set.count} ${set.rows}x${set.cols} images needs ${set.count * pixelsPerImage(set)} image bytes and ${set.count} labels, got ${set.images.length} and ${set.labels.length}`,
    );
  }
}

/** Encodes a set (or one shard of a split) into one exactly sized buffer. */
export function encodeSet(set: MnistSet, shard: ShardRef = { index: 0, of: 1 }): Uint8Array<ArrayBuffer> {
  checkDims(set);
  if (!Number.isInteger(shard.of) || shard.of < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.of) {
    throw new MnistError('bad-option', `shard ${shard.index} of ${shard.of} is not a valid shard reference`);
  }
  const bad = firstBadLabel(set.labels);
  if (bad >= 0) throw new MnistError('bad-label', `label ${set.labels[bad]} at example ${bad} is not in 0..${MNIST_CONFIG.classes - 1}`);
  const out = new Uint8Array(encodedSize(set));
  const v = new DataView(out.buffer);
  v.setUint32(0, SET_MAGIC, true);
  v.setUint16(4, SET_VERSION, true);
  v.setUint16(6, set.rows, true);
  v.setUint16(8, set.cols, true);
  v.setUint32(12, set.count, true);
  v.setUint32(16, shard.index, true);
  v.setUint32(20, shard.of, true);
  out.set(set.images, SET_HEADER_BYTES);
  out.set(set.labels, SET_HEADER_BYTES + set.images.length);
  return out;
}

function toBytes(input: ArrayBuffer | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new MnistError('bad-option', 'expected an ArrayBuffer or Uint8Array (use response.arrayBuffer())');
}

/**
 * Validates just the header (the first SET_HEADER_BYTES of a payload or file). Lets a caller check a
 * file on disk without reading it all.
 */
export function readSetHeader(input: ArrayBuffer | Uint8Array): SetHeader {
  const bytes = toBytes(input);
  if (bytes.length < SET_HEADER_BYTES) {
    throw new MnistError('truncated', `${bytes.length} bytes is shorter than the ${SET_HEADER_BYTES}-byte header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, SET_HEADER_BYTES);
  const magic = v.getUint32(0, true);
  if (magic !== SET_MAGIC) {
    throw new MnistError('bad-magic', `magic 0x${magic.toString(16)} is not 0x${SET_MAGIC.toString(16)}: not an MNIST set payload`);
  }
  const version = v.getUint16(4, true);
  if (version !== SET_VERSION) {
    throw new MnistError('bad-version', `set version ${version}, this build reads ${SET_VERSION}: repack the data (delete it and rerun)`);
  }
  const rows = v.getUint16(6, true);
  const cols = v.getUint16(8, true);
  const count = v.getUint32(12, true);
  const index = v.getUint32(16, true);
  const of = v.getUint32(20, true);
  if (rows === 0 || cols === 0) throw new MnistError('bad-header', `image size ${rows}x${cols} is empty`);
  if (v.getUint16(10, true) !== 0) throw new MnistError('bad-header', 'reserved bytes 10..11 must be zero');
  if (of === 0 || index >= of) throw new MnistError('bad-header', `shard ${index} of ${of} is impossible`);
  return { rows, cols, count, shard: { index, of }, totalBytes: encodedSize({ rows, cols, count }) };
}

function firstBadLabel(labels: Uint8Array): number {
  const classes = MNIST_CONFIG.classes;
  for (let i = 0; i < labels.length; i++) if (labels[i] >= classes) return i;
  return -1;
}

/**
 * Decodes and validates a payload. images and labels are zero-copy views of the input (bytes need no
 * alignment), valid as long as the input is.
 */
export function decodeSet(input: ArrayBuffer | Uint8Array, expect: SetExpectation = {}): DecodedSet {
  const bytes = toBytes(input);
  const h = readSetHeader(bytes);
  if (bytes.length !== h.totalBytes) {
    throw new MnistError(
      'length-mismatch',
      `${h.count} images of ${h.rows}x${h.cols} need exactly ${h.totalBytes} bytes, got ${bytes.length}: truncated download or corrupt file`,
    );
  }
  const imageBytes = h.count * h.rows * h.cols;
  const images = bytes.subarray(SET_HEADER_BYTES, SET_HEADER_BYTES + imageBytes);
  const labels = bytes.subarray(SET_HEADER_BYTES + imageBytes);
  const bad = firstBadLabel(labels);
  if (bad >= 0) throw new MnistError('bad-label', `label ${labels[bad]} at example ${bad} is not in 0..${MNIST_CONFIG.classes - 1}`);
  const got = { rows: h.rows, cols: h.cols, count: h.count };
  for (const key of ['rows', 'cols', 'count'] as const) {
    const want = expect[key];
    if (want !== undefined && want !== got[key]) {
      throw new MnistError('unexpected-set', `expected ${key} ${want}, payload has ${got[key]}`);
    }
  }
  if (expect.shard && (expect.shard.index !== h.shard.index || expect.shard.of !== h.shard.of)) {
    throw new MnistError(
      'unexpected-set',
      `asked for shard ${expect.shard.index} of ${expect.shard.of}, got shard ${h.shard.index} of ${h.shard.of} (stale cache or wrong URL?)`,
    );
  }
  return { ...got, images, labels, shard: h.shard };
}
