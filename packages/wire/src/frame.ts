/**
 * Encode and decode tensor frames (layout in ./layout). Decoding treats every input as hostile:
 * each header field is checked by hand and payload values must be finite before anyone sees them.
 */
import { MsgKind, allFinite, allFiniteHalf, validScale, type Message, type Payload } from '@starling/core';
import { WIRE_CONFIG, maxElements, type WireLimits } from './config';
import { FrameError } from './errors';
import {
  Dtype,
  FLAG_DELTA,
  FLAG_KEEP,
  FRAME_MAGIC,
  FRAME_VERSION,
  HEADER_BYTES,
  OFF_AUX,
  OFF_BASE,
  OFF_BLOCK,
  OFF_COUNT,
  OFF_DTYPE,
  OFF_EPOCH,
  OFF_FLAGS,
  OFF_FROM,
  OFF_KIND,
  OFF_MAGIC,
  OFF_OFFSET,
  OFF_PAD,
  OFF_SCALE,
  OFF_SEQ,
  OFF_VERSION,
  elementBytes,
  isCompact,
} from './layout';

/** knownKind[k] === 1 iff k is a MsgKind: one indexed load per frame instead of a Set lookup. */
const knownKind = new Uint8Array(256);
for (const k of Object.values(MsgKind)) knownKind[k] = 1;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndianHost(): void {
  if (!HOST_LITTLE_ENDIAN) {
    throw new FrameError('unsupported-host', 'payloads are little-endian typed-array views; this host is big-endian');
  }
}

/** Frame size in bytes for a payload of `count` elements of `dtype`. */
export function frameSize(dtype: Dtype, count: number): number {
  return HEADER_BYTES + count * elementBytes(dtype);
}

/** Dtype code of a message's payload (a Uint16Array needs msg.dtype: float16 or bfloat16; a Uint8Array int4). */
export function dtypeOf(data: Payload, declared?: Dtype): Dtype {
  const actual = data instanceof Float32Array ? Dtype.F32 : data instanceof Float64Array ? Dtype.F64 : data instanceof Int8Array ? Dtype.I8 : null;
  if (actual !== null) {
    if (declared !== undefined && declared !== actual) throw new FrameError('bad-dtype', `message dtype ${declared} contradicts its ${data.constructor.name} payload`);
    return actual;
  }
  if (data instanceof Uint16Array) {
    if (declared === Dtype.F16 || declared === Dtype.BF16) return declared;
    throw new FrameError('bad-dtype', 'a Uint16Array payload must say whether it holds float16 or bfloat16 codes (msg.dtype)');
  }
  if (data instanceof Uint8Array) {
    if (declared === Dtype.I4) return declared;
    throw new FrameError('bad-dtype', 'a Uint8Array payload must declare int4 codes (msg.dtype)');
  }
  throw new FrameError('bad-dtype', 'message data must be a Float32Array, Float64Array, Uint16Array (float16/bfloat16), Int8Array or Uint8Array (int4)');
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new FrameError('bad-field', `${name} must be an integer in [0, 2^32), got ${v}`);
  }
}

function firstNonFinite(a: ArrayLike<number>, dtype: number = Dtype.F32): number {
  const mask = dtype === Dtype.F16 ? 0x7c00 : 0x7f80;
  for (let i = 0; i < a.length; i++) {
    if (dtype === Dtype.F16 || dtype === Dtype.BF16 ? (a[i] & mask) === mask : !Number.isFinite(a[i])) return i;
  }
  return -1;
}

/** Checks everything about an outgoing message; returns its dtype and frame size. */
function validateOutgoing(msg: Message, limits: WireLimits): { dtype: Dtype; size: number } {
  requireLittleEndianHost();
  const dtype = dtypeOf(msg.data, msg.dtype);
  if (knownKind[msg.kind] !== 1) {
    throw new FrameError('unknown-kind', `kind ${msg.kind} is not a MsgKind; add it to @starling/core first`);
  }
  checkU32('from', msg.from);
  checkU32('epoch', msg.epoch);
  checkU32('seq', msg.seq);
  checkU32('block', msg.block);
  checkU32('offset', msg.offset);
  const count = msg.data.length;
  const max = maxElements(dtype, limits);
  if (count > max) {
    throw new FrameError(
      'oversize',
      `${count} elements exceed the ${max}-element limit for this dtype (maxFrameBytes ${limits.maxFrameBytes}); use a smaller block size`,
    );
  }
  if (!Number.isFinite(msg.aux)) throw new FrameError('bad-aux', `aux must be finite, got ${msg.aux}`);
  if (msg.base !== undefined) checkU32('base', msg.base);
  if (isCompact(dtype) ? !validScale(msg.scale) : msg.scale !== undefined && msg.scale !== 1) {
    throw new FrameError('bad-scale', `scale ${msg.scale} must be a positive finite float32 for compact payloads, absent or 1 otherwise`);
  }
  if (!payloadFinite(msg.data, dtype)) {
    throw new FrameError('non-finite', `payload element ${firstNonFinite(msg.data, dtype)} is NaN or infinite; refusing to send it`);
  }
  return { dtype, size: frameSize(dtype, count) };
}

/** Every value finite: float16/bfloat16 codes by their exponent bits; int8 and int4 codes always are. */
function payloadFinite(data: Payload, dtype: Dtype): boolean {
  if (dtype === Dtype.F16 || dtype === Dtype.BF16) return allFiniteHalf(data as Uint16Array, dtype);
  if (dtype === Dtype.I8 || dtype === Dtype.I4) return true;
  return allFinite(data);
}

function writeFrame(msg: Message, dtype: Dtype, size: number, target: Uint8Array): void {
  const v = new DataView(target.buffer, target.byteOffset, size);
  v.setUint16(OFF_MAGIC, FRAME_MAGIC, true);
  v.setUint8(OFF_VERSION, FRAME_VERSION);
  v.setUint8(OFF_KIND, msg.kind);
  v.setUint8(OFF_DTYPE, dtype);
  v.setUint8(OFF_FLAGS, (msg.base !== undefined ? FLAG_DELTA : 0) | (msg.keep === true ? FLAG_KEEP : 0));
  v.setUint16(OFF_PAD, 0, true);
  v.setUint32(OFF_FROM, msg.from, true);
  v.setUint32(OFF_EPOCH, msg.epoch, true);
  v.setUint32(OFF_SEQ, msg.seq, true);
  v.setUint32(OFF_BLOCK, msg.block, true);
  v.setUint32(OFF_OFFSET, msg.offset, true);
  v.setUint32(OFF_COUNT, msg.data.length, true);
  v.setFloat64(OFF_AUX, msg.aux, true);
  v.setUint32(OFF_BASE, msg.base ?? 0, true);
  v.setFloat32(OFF_SCALE, msg.scale ?? 1, true);
  // A byte copy works whatever the target's alignment.
  const d = msg.data;
  target.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), HEADER_BYTES);
}

/**
 * Encodes `msg` into a new buffer of exactly the frame's size. The frame owns a copy of the payload,
 * so a view returned by an algorithm may be reused right after this call.
 */
export function encodeFrame(msg: Message, limits: WireLimits = WIRE_CONFIG): Uint8Array<ArrayBuffer> {
  const { dtype, size } = validateOutgoing(msg, limits);
  const out = new Uint8Array(size);
  writeFrame(msg, dtype, size, out);
  return out;
}

/**
 * Encodes `msg` at the start of `target` (a reusable send buffer); returns the frame size. Send
 * `target.subarray(0, size)`. Nothing is written when the message is refused.
 */
export function encodeInto(msg: Message, target: Uint8Array, limits: WireLimits = WIRE_CONFIG): number {
  const { dtype, size } = validateOutgoing(msg, limits);
  if (target.byteLength < size) {
    throw new FrameError('target-too-small', `frame needs ${size} bytes, target has ${target.byteLength}`);
  }
  writeFrame(msg, dtype, size, target);
  return size;
}

/** Cheap test for "is this binary data channel message a tensor frame?" (magic only). */
export function isTensorFrame(data: unknown): boolean {
  let u8: Uint8Array;
  if (data instanceof Uint8Array) u8 = data;
  else if (data instanceof ArrayBuffer) u8 = new Uint8Array(data, 0, Math.min(2, data.byteLength));
  else return false;
  return u8.length >= 2 && (u8[0] | (u8[1] << 8)) === FRAME_MAGIC;
}

/**
 * Decodes one frame. The payload is a zero-copy view of the input when its start is aligned for the
 * dtype (then it is valid only while the caller does not reuse the input buffer), a copy otherwise.
 * Throws FrameError, and nothing else, on any malformed input.
 */
export function decodeFrame(input: ArrayBuffer | Uint8Array, limits: WireLimits = WIRE_CONFIG): Message {
  requireLittleEndianHost();
  let buffer: ArrayBufferLike;
  let base: number;
  let length: number;
  if (ArrayBuffer.isView(input)) {
    buffer = input.buffer;
    base = input.byteOffset;
    length = input.byteLength;
  } else if (input instanceof ArrayBuffer) {
    buffer = input;
    base = 0;
    length = input.byteLength;
  } else {
    throw new FrameError('not-binary', 'expected an ArrayBuffer or Uint8Array; text messages are control messages');
  }
  if (length < HEADER_BYTES) {
    throw new FrameError('truncated', `${length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }
  const v = new DataView(buffer, base, HEADER_BYTES);
  const magic = v.getUint16(OFF_MAGIC, true);
  if (magic !== FRAME_MAGIC) {
    throw new FrameError('bad-magic', `magic 0x${magic.toString(16)} is not 0x${FRAME_MAGIC.toString(16)}; not a tensor frame`);
  }
  const version = v.getUint8(OFF_VERSION);
  if (version !== FRAME_VERSION) {
    throw new FrameError('bad-version', `frame version ${version}, this build speaks ${FRAME_VERSION}; peers must run the same release`);
  }
  const kind = v.getUint8(OFF_KIND);
  if (knownKind[kind] !== 1) throw new FrameError('unknown-kind', `kind ${kind} is not a MsgKind`);
  const dtype = v.getUint8(OFF_DTYPE);
  const eb = elementBytes(dtype);
  if (eb === 0) throw new FrameError('bad-dtype', `dtype ${dtype} is not 1 (f32), 2 (f64), 3 (f16), 4 (bf16), 5 (i8) or 6 (i4)`);
  const flags = v.getUint8(OFF_FLAGS);
  if ((flags & ~(FLAG_DELTA | FLAG_KEEP)) !== 0 || v.getUint16(OFF_PAD, true) !== 0) {
    throw new FrameError('bad-flags', 'unknown flag bits or non-zero padding');
  }
  const baseSeq = v.getUint32(OFF_BASE, true);
  if ((flags & FLAG_DELTA) === 0 && baseSeq !== 0) throw new FrameError('bad-flags', `base ${baseSeq} on a frame without the DELTA flag`);
  const count = v.getUint32(OFF_COUNT, true);
  const max = maxElements(dtype, limits);
  if (count > max || length > limits.maxFrameBytes) {
    throw new FrameError('oversize', `${count} elements / ${length} bytes exceed the limit of ${max} elements / ${limits.maxFrameBytes} bytes`);
  }
  const expected = HEADER_BYTES + count * eb;
  if (length !== expected) {
    throw new FrameError('length-mismatch', `count ${count} needs exactly ${expected} bytes, got ${length}`);
  }
  const aux = v.getFloat64(OFF_AUX, true);
  if (!Number.isFinite(aux)) throw new FrameError('bad-aux', `aux is ${aux}`);
  const scale = v.getFloat32(OFF_SCALE, true);
  if (isCompact(dtype) ? !(scale > 0 && Number.isFinite(scale)) : scale !== 1) {
    throw new FrameError('bad-scale', `scale ${scale} must be finite and > 0 for compact payloads, 1 for float32/float64`);
  }

  const start = base + HEADER_BYTES;
  let src = buffer;
  let at = start;
  if (start % eb !== 0) {
    // Typed arrays need aligned offsets: copy the payload into a fresh (aligned) buffer.
    const copy = new Uint8Array(count * eb);
    copy.set(new Uint8Array(buffer, start, count * eb));
    src = copy.buffer;
    at = 0;
  }
  const data = payloadView(dtype, src, at, count);
  if (!payloadFinite(data, dtype as Dtype)) {
    throw new FrameError('non-finite', `payload element ${firstNonFinite(data, dtype)} is NaN or infinite`);
  }
  const msg: Message = {
    kind: kind as MsgKind,
    from: v.getUint32(OFF_FROM, true),
    epoch: v.getUint32(OFF_EPOCH, true),
    seq: v.getUint32(OFF_SEQ, true),
    block: v.getUint32(OFF_BLOCK, true),
    offset: v.getUint32(OFF_OFFSET, true),
    aux,
    data,
  };
  if (dtype === Dtype.F16 || dtype === Dtype.BF16 || dtype === Dtype.I4) msg.dtype = dtype;
  if (isCompact(dtype)) msg.scale = scale;
  if ((flags & FLAG_DELTA) !== 0) msg.base = baseSeq;
  if ((flags & FLAG_KEEP) !== 0) msg.keep = true;
  return msg;
}

function payloadView(dtype: number, src: ArrayBufferLike, at: number, count: number): Payload {
  switch (dtype) {
    case Dtype.F32:
      return new Float32Array(src, at, count);
    case Dtype.F64:
      return new Float64Array(src, at, count);
    case Dtype.I8:
      return new Int8Array(src, at, count);
    case Dtype.I4:
      return new Uint8Array(src, at, count);
    default:
      return new Uint16Array(src, at, count);
  }
}

export type DecodeResult = { ok: true; msg: Message } | { ok: false; error: FrameError };

/**
 * decodeFrame for receive handlers: never throws on bad input (anything a data channel may deliver,
 * text included), so the caller just counts `error.code`.
 */
export function tryDecodeFrame(input: unknown, limits: WireLimits = WIRE_CONFIG): DecodeResult {
  try {
    return { ok: true, msg: decodeFrame(input as ArrayBuffer | Uint8Array, limits) };
  } catch (e) {
    if (e instanceof FrameError) return { ok: false, error: e };
    throw e;
  }
}
