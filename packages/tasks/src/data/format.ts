/**
 * Binary form of a DataSet: the packed split files on disk and the shard payloads a browser
 * fetches over HTTP use the same layout. Little-endian; header 40 bytes:
 *
 *   off size field
 *     0   4  magic        u32  0x53445453 (bytes "STDS")
 *     4   2  version      u16  SET_VERSION
 *     6   1  layout       u8   0 examples, 1 stream
 *     7   1  featureType  u8   0 u8, 1 f32
 *     8   1  targetType   u8   0 none (streams), 1 u8 class index, 2 f32 value
 *     9   1  rank         u8   1..3, dims of one example's features
 *    10   2  classes      u16  u8 targets / stream tokens are < classes; 0 for f32 targets
 *    12  12  dims         u32 x 3 (unused dims are 1)
 *    24   4  count        u32  examples (or tokens of a stream)
 *    28   4  shardIndex   u32  < shardCount (a whole split is shard 0 of 1)
 *    32   4  shardCount   u32  >= 1
 *    36   4  reserved     u32  0
 *    40      features     count x prod(dims) values
 *            padding      0-3 zero bytes, so f32 targets start 4-aligned
 *            targets      count values (absent for a stream)
 */
import { DataError } from './errors';
import { featureSize, type DataSet } from './set';

export const SET_MAGIC = 0x53445453;
export const SET_VERSION = 1;
export const SET_HEADER_BYTES = 40;

/** Which part of a split a payload holds. */
export interface ShardRef {
  readonly index: number;
  readonly of: number;
}

export interface SetHeader {
  readonly layout: DataSet['layout'];
  readonly featureType: 'u8' | 'f32';
  readonly targetType: 'none' | 'u8' | 'f32';
  readonly featureShape: readonly number[];
  readonly classes: number;
  readonly count: number;
  readonly shard: ShardRef;
  /** Exact byte length of the whole payload this header announces. */
  readonly totalBytes: number;
}

export type DecodedSet = DataSet & { readonly shard: ShardRef };

/** What the caller expects to receive; every given field is checked. */
export interface SetExpectation {
  layout?: DataSet['layout'];
  featureShape?: readonly number[];
  classes?: number;
  count?: number;
  shard?: ShardRef;
}

type Types = Pick<SetHeader, 'featureType' | 'targetType'>;

function typesOf(set: DataSet): Types {
  return {
    featureType: set.features instanceof Float32Array ? 'f32' : 'u8',
    targetType: set.targets === null ? 'none' : set.targets instanceof Float32Array ? 'f32' : 'u8',
  };
}

function layoutBytes(h: Types & { featureShape: readonly number[]; count: number }): { features: number; pad: number; targets: number } {
  const features = h.count * featureSize(h) * (h.featureType === 'f32' ? 4 : 1);
  const targets = h.targetType === 'none' ? 0 : h.count * (h.targetType === 'f32' ? 4 : 1);
  const pad = h.targetType === 'f32' ? (4 - ((SET_HEADER_BYTES + features) % 4)) % 4 : 0;
  return { features, pad, targets };
}

export function encodedSize(set: DataSet): number {
  const b = layoutBytes({ ...typesOf(set), featureShape: set.featureShape, count: set.count });
  return SET_HEADER_BYTES + b.features + b.pad + b.targets;
}

function checkSet(set: DataSet): void {
  const rank = set.featureShape.length;
  if (rank < 1 || rank > 3 || !set.featureShape.every((d) => Number.isInteger(d) && d > 0 && d <= 0xffffffff)) {
    throw new DataError('bad-option', `featureShape must be 1-3 positive integers, got [${set.featureShape.join(', ')}]`);
  }
  if (!Number.isInteger(set.count) || set.count < 0 || set.count > 0xffffffff) throw new DataError('bad-option', `count must be a u32, got ${set.count}`);
  if (!Number.isInteger(set.classes) || set.classes < 0 || set.classes > 0xffff) throw new DataError('bad-option', `classes must be a u16, got ${set.classes}`);
  const stream = set.layout === 'stream';
  if (stream && (set.targets !== null || rank !== 1 || set.featureShape[0] !== 1 || set.features instanceof Float32Array)) {
    throw new DataError('bad-option', 'a stream holds byte tokens only: featureShape [1], no targets');
  }
  if (!stream && set.targets === null) throw new DataError('bad-option', 'an examples set needs one target per example');
  if (set.features.length !== set.count * featureSize(set) || (set.targets !== null && set.targets.length !== set.count)) {
    throw new DataError(
      'bad-option',
      `${set.count} examples of [${set.featureShape.join('x')}] need ${set.count * featureSize(set)} feature values and ${stream ? 0 : set.count} targets, got ${set.features.length} and ${set.targets?.length ?? 0}`,
    );
  }
}

/** Encodes a set (or one shard of a split) into one exactly sized buffer. */
export function encodeSet(set: DataSet, shard: ShardRef = { index: 0, of: 1 }): Uint8Array<ArrayBuffer> {
  checkSet(set);
  if (!Number.isInteger(shard.of) || shard.of < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.of) {
    throw new DataError('bad-option', `shard ${shard.index} of ${shard.of} is not a valid shard reference`);
  }
  checkValues(set);
  const t = typesOf(set);
  const b = layoutBytes({ ...t, featureShape: set.featureShape, count: set.count });
  const out = new Uint8Array(SET_HEADER_BYTES + b.features + b.pad + b.targets);
  const v = new DataView(out.buffer);
  v.setUint32(0, SET_MAGIC, true);
  v.setUint16(4, SET_VERSION, true);
  v.setUint8(6, set.layout === 'stream' ? 1 : 0);
  v.setUint8(7, t.featureType === 'f32' ? 1 : 0);
  v.setUint8(8, t.targetType === 'none' ? 0 : t.targetType === 'u8' ? 1 : 2);
  v.setUint8(9, set.featureShape.length);
  v.setUint16(10, set.classes, true);
  for (let i = 0; i < 3; i++) v.setUint32(12 + 4 * i, set.featureShape[i] ?? 1, true);
  v.setUint32(24, set.count, true);
  v.setUint32(28, shard.index, true);
  v.setUint32(32, shard.of, true);
  out.set(new Uint8Array(set.features.buffer, set.features.byteOffset, set.features.byteLength), SET_HEADER_BYTES);
  if (set.targets) out.set(new Uint8Array(set.targets.buffer, set.targets.byteOffset, set.targets.byteLength), SET_HEADER_BYTES + b.features + b.pad);
  return out;
}

function toBytes(input: ArrayBuffer | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new DataError('bad-option', 'expected an ArrayBuffer or Uint8Array (use response.arrayBuffer())');
}

/**
 * Validates just the header (the first SET_HEADER_BYTES of a payload or file). Lets a caller check a
 * file on disk without reading it all.
 */
export function readSetHeader(input: ArrayBuffer | Uint8Array): SetHeader {
  const bytes = toBytes(input);
  if (bytes.length < SET_HEADER_BYTES) {
    throw new DataError('truncated', `${bytes.length} bytes is shorter than the ${SET_HEADER_BYTES}-byte header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, SET_HEADER_BYTES);
  const magic = v.getUint32(0, true);
  if (magic !== SET_MAGIC) {
    throw new DataError('bad-magic', `magic 0x${magic.toString(16)} is not 0x${SET_MAGIC.toString(16)}: not a Starling data set payload`);
  }
  const version = v.getUint16(4, true);
  if (version !== SET_VERSION) {
    throw new DataError('bad-version', `set version ${version}, this build reads ${SET_VERSION}: repack the data (delete it and rerun)`);
  }
  const [layoutCode, featureCode, targetCode, rank] = [v.getUint8(6), v.getUint8(7), v.getUint8(8), v.getUint8(9)];
  if (layoutCode > 1 || featureCode > 1 || targetCode > 2 || rank < 1 || rank > 3) {
    throw new DataError('bad-header', `layout ${layoutCode}, feature type ${featureCode}, target type ${targetCode}, rank ${rank}: not a known combination`);
  }
  const featureShape: number[] = [];
  for (let i = 0; i < 3; i++) {
    const d = v.getUint32(12 + 4 * i, true);
    if (i < rank ? d === 0 : d !== 1) throw new DataError('bad-header', `dimension ${i} is ${d}: used dims must be > 0, unused ones 1`);
    if (i < rank) featureShape.push(d);
  }
  const layout = layoutCode === 1 ? 'stream' : 'examples';
  const featureType = featureCode === 1 ? 'f32' : 'u8';
  const targetType = targetCode === 0 ? 'none' : targetCode === 1 ? 'u8' : 'f32';
  if ((layout === 'stream') !== (targetType === 'none') || (layout === 'stream' && (featureType !== 'u8' || rank !== 1 || featureShape[0] !== 1))) {
    throw new DataError('bad-header', `a ${layout} set cannot have ${featureType} features of [${featureShape.join('x')}] and ${targetType} targets`);
  }
  const classes = v.getUint16(10, true);
  const count = v.getUint32(24, true);
  const index = v.getUint32(28, true);
  const of = v.getUint32(32, true);
  if (v.getUint32(36, true) !== 0) throw new DataError('bad-header', 'reserved bytes 36..39 must be zero');
  if (of === 0 || index >= of) throw new DataError('bad-header', `shard ${index} of ${of} is impossible`);
  const b = layoutBytes({ featureType, targetType, featureShape, count });
  return { layout, featureType, targetType, featureShape, classes, count, shard: { index, of }, totalBytes: SET_HEADER_BYTES + b.features + b.pad + b.targets };
}

/** The first bad value's description, checked against the set's class count. */
function firstBadValue(set: DataSet): string | null {
  if (set.layout === 'stream') return firstAtOrAbove(set.features as Uint8Array, set.classes, 'token');
  if (set.targets instanceof Uint8Array) return firstAtOrAbove(set.targets, set.classes, 'label');
  if (set.targets instanceof Float32Array) {
    const bad = firstNonFiniteIndex(set.targets);
    if (bad >= 0) return `target ${set.targets[bad]} at example ${bad} is not a finite number`;
  }
  if (set.features instanceof Float32Array) {
    const bad = firstNonFiniteIndex(set.features);
    if (bad >= 0) return `feature value ${set.features[bad]} at index ${bad} is not a finite number`;
  }
  return null;
}

function firstAtOrAbove(a: Uint8Array, limit: number, what: string): string | null {
  for (let i = 0; i < a.length; i++) if (a[i] >= limit) return `${what} ${a[i]} at ${i} is not in 0..${limit - 1}`;
  return null;
}

function firstNonFiniteIndex(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) return i;
  return -1;
}

function checkValues(set: DataSet): void {
  const bad = firstBadValue(set);
  if (bad !== null) throw new DataError('bad-label', bad);
}

/**
 * Decodes and validates a payload. Features and targets are zero-copy views of the input when
 * aligned (f32 values need 4-byte alignment; otherwise they are copied), valid as long as it is.
 */
export function decodeSet(input: ArrayBuffer | Uint8Array, expect: SetExpectation = {}): DecodedSet {
  const bytes = toBytes(input);
  const h = readSetHeader(bytes);
  if (bytes.length !== h.totalBytes) {
    throw new DataError(
      'length-mismatch',
      `the header announces ${h.totalBytes} bytes (${h.count} x [${h.featureShape.join('x')}]), got ${bytes.length}: truncated download or corrupt file`,
    );
  }
  const b = layoutBytes(h);
  const at = SET_HEADER_BYTES;
  const features = h.featureType === 'f32' ? floats(bytes, at, b.features) : bytes.subarray(at, at + b.features);
  const tAt = at + b.features + b.pad;
  const targets = h.targetType === 'none' ? null : h.targetType === 'f32' ? floats(bytes, tAt, b.targets) : bytes.subarray(tAt, tAt + b.targets);
  const set: DecodedSet = { layout: h.layout, featureShape: h.featureShape, features, targets, count: h.count, classes: h.classes, shard: h.shard };
  checkValues(set);
  checkExpectation(set, expect);
  return set;
}

function floats(bytes: Uint8Array, at: number, len: number): Float32Array {
  const off = bytes.byteOffset + at;
  if (off % 4 === 0) return new Float32Array(bytes.buffer, off, len / 4);
  return new Float32Array(bytes.slice(at, at + len).buffer);
}

function checkExpectation(set: DecodedSet, expect: SetExpectation): void {
  const fail = (what: string, want: unknown, got: unknown) => {
    throw new DataError('unexpected-set', `expected ${what} ${String(want)}, payload has ${String(got)}`);
  };
  if (expect.layout !== undefined && expect.layout !== set.layout) fail('layout', expect.layout, set.layout);
  if (expect.featureShape !== undefined && expect.featureShape.join('x') !== set.featureShape.join('x')) {
    fail('feature shape', expect.featureShape.join('x'), set.featureShape.join('x'));
  }
  if (expect.classes !== undefined && expect.classes !== set.classes) fail('classes', expect.classes, set.classes);
  if (expect.count !== undefined && expect.count !== set.count) fail('count', expect.count, set.count);
  if (expect.shard && (expect.shard.index !== set.shard.index || expect.shard.of !== set.shard.of)) {
    throw new DataError(
      'unexpected-set',
      `asked for shard ${expect.shard.index} of ${expect.shard.of}, got shard ${set.shard.index} of ${set.shard.of} (stale cache or wrong URL?)`,
    );
  }
}
