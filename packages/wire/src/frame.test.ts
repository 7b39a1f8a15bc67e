import { describe, expect, it } from 'vitest';
import { MsgKind, Rng, type Message, type Payload } from '@starling/core';
import {
  Dtype,
  FrameError,
  HEADER_BYTES,
  MAX_F32_ELEMENTS,
  MAX_F64_ELEMENTS,
  WEBRTC_MAX_MESSAGE_BYTES,
  decodeFrame,
  encodeFrame,
  encodeInto,
  frameSize,
  isTensorFrame,
  tryDecodeFrame,
  type FrameErrorCode,
} from './index';
import { OFF_AUX, OFF_BASE, OFF_COUNT, OFF_DTYPE, OFF_FLAGS, OFF_KIND, OFF_MAGIC, OFF_PAD, OFF_SCALE, OFF_VERSION } from './layout';

const KINDS = Object.values(MsgKind);

function payload(ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number, seed: number): Payload {
  const rng = new Rng(seed);
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * 1e3;
  return a;
}

function message(kind: MsgKind, data: Payload, seed = 1): Message {
  const rng = new Rng(seed);
  return {
    kind,
    from: rng.int(2 ** 32),
    epoch: rng.int(2 ** 32),
    seq: rng.int(2 ** 32),
    block: rng.int(2 ** 32),
    offset: rng.int(2 ** 32),
    aux: rng.normal() * 1e6,
    data,
  };
}

function bytesOf(p: Payload): Uint8Array {
  return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
}

/** Byte equality in a plain loop: toEqual on large typed arrays is slow. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function expectSame(a: Message, b: Message): void {
  const { data: da, ...ha } = a;
  const { data: db, ...hb } = b;
  expect(hb).toEqual(ha);
  expect(db.constructor).toBe(da.constructor);
  expect(sameBytes(bytesOf(db), bytesOf(da))).toBe(true);
}

function codeOf(f: () => unknown): FrameErrorCode | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof FrameError ? e.code : 'other error';
  }
}

/** A valid frame, then `edit` applied to a copy through a DataView. */
function corrupted(edit: (v: DataView, bytes: Uint8Array<ArrayBuffer>) => void, data: Payload = payload(Float32Array, 8, 3)): Uint8Array<ArrayBuffer> {
  const bytes = encodeFrame(message(MsgKind.RfastV, data)).slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

describe('round trip', () => {
  it('every kind with both dtypes, header and payload bit-exact', () => {
    for (const kind of KINDS) {
      for (const ctor of [Float32Array, Float64Array]) {
        for (const n of [0, 1, 7, 4096]) {
          const msg = message(kind, payload(ctor, n, kind * 31 + n), kind + n);
          const frame = encodeFrame(msg);
          expect(frame.byteLength).toBe(HEADER_BYTES + n * ctor.BYTES_PER_ELEMENT);
          expectSame(decodeFrame(frame), msg);
          expectSame(decodeFrame(frame.buffer), msg);
        }
      }
    }
  });

  it('keeps -0, subnormals and extreme finite values', () => {
    const data = new Float64Array([-0, 5e-324, -Number.MAX_VALUE, Number.MAX_VALUE, Number.MIN_VALUE]);
    const msg = { ...message(MsgKind.RfastRho, data), aux: -0 };
    const out = decodeFrame(encodeFrame(msg));
    expect(Object.is(out.data[0], -0)).toBe(true);
    expect(Object.is(out.aux, -0)).toBe(true);
    expectSame(out, msg);
  });

  it('encodes a view into a larger buffer (algorithm state views)', () => {
    const state = payload(Float32Array, 100, 9) as Float32Array;
    const view = state.subarray(13, 50);
    const out = decodeFrame(encodeFrame(message(MsgKind.GossipModel, view)));
    expect(Array.from(out.data)).toEqual(Array.from(view));
  });

  it('encodeInto writes the same bytes into a reused buffer and returns the size', () => {
    const target = new Uint8Array(64 * 1024);
    for (const n of [10, 3]) {
      const msg = message(MsgKind.PushSum, payload(Float64Array, n, n));
      const size = encodeInto(msg, target);
      expect(size).toBe(frameSize(Dtype.F64, n));
      expect(target.subarray(0, size)).toEqual(encodeFrame(msg));
      expectSame(decodeFrame(target.subarray(0, size)), msg);
    }
  });

  it('encodeInto refuses a small target and leaves it untouched', () => {
    const target = new Uint8Array(HEADER_BYTES + 10).fill(7);
    expect(codeOf(() => encodeInto(message(MsgKind.RfastV, new Float32Array(3)), target))).toBe('target-too-small');
    expect(target.every((b) => b === 7)).toBe(true);
  });
});

describe('payload alignment', () => {
  it('is a zero-copy view when the payload start is aligned', () => {
    const frame = encodeFrame(message(MsgKind.RfastRho, payload(Float64Array, 16, 1)));
    const out = decodeFrame(frame);
    expect(out.data.buffer).toBe(frame.buffer);
    expect(out.data.byteOffset).toBe(HEADER_BYTES);
  });

  it('copies when the incoming view is unaligned for the dtype, with the same values', () => {
    for (const [ctor, shift, copies] of [
      [Float64Array, 4, true],
      [Float64Array, 8, false],
      [Float32Array, 4, false],
      [Float32Array, 1, true],
      [Float32Array, 2, true],
    ] as const) {
      const msg = message(MsgKind.ArReduce, payload(ctor, 33, shift));
      const frame = encodeFrame(msg);
      const host = new Uint8Array(frame.byteLength + shift);
      host.set(frame, shift);
      const out = decodeFrame(host.subarray(shift));
      expect(out.data.buffer === host.buffer).toBe(!copies);
      expect(out.data.byteOffset % ctor.BYTES_PER_ELEMENT).toBe(0);
      expectSame(out, msg);
    }
  });
});

describe('compact frames (float16, bfloat16, int8 and int4 codes; deltas; keep)', () => {
  const compact: [string, Message][] = [
    ['float16', { ...message(MsgKind.RfastV, Uint16Array.from([0, 0x3c00, 0xbc00, 0x7bff, 1])), dtype: Dtype.F16, scale: 0.25, base: 9, keep: true }],
    ['bfloat16', { ...message(MsgKind.RfastV, Uint16Array.from([0x3f80, 0xff7f, 0])), dtype: Dtype.BF16, scale: 2 ** -10, base: 0 }],
    ['int8', { ...message(MsgKind.RfastRho, Int8Array.from([-128, -127, 0, 127, 5])), scale: Math.fround(0.1), base: 123456, keep: true }],
    ['int4 (two codes per byte)', { ...message(MsgKind.RfastV, Uint8Array.from([0x00, 0xf1, 0x97, 0x08])), dtype: Dtype.I4, scale: Math.fround(0.3), base: 7, keep: true }],
    ['a float32 delta', { ...message(MsgKind.RfastRho, Float32Array.from([1.5, -2])), base: 3 }],
    ['an empty ack', message(MsgKind.RfastAck, new Float32Array(0))],
  ];
  for (const [name, msg] of compact) {
    it(`${name}: header fields and payload round-trip exactly`, () => {
      const frame = encodeFrame(msg);
      expect(frame.byteLength).toBe(HEADER_BYTES + msg.data.byteLength);
      expectSame(decodeFrame(frame), msg);
    });
  }

  it('refuses to encode ambiguous or invalid compact messages', () => {
    const codes = Uint16Array.from([1, 2]);
    expect(codeOf(() => encodeFrame(message(MsgKind.RfastV, codes)))).toBe('bad-dtype'); // f16 or bf16?
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastV, codes), dtype: Dtype.F16 }))).toBe('bad-scale');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastV, codes), dtype: Dtype.F16, scale: 0.1 }))).toBe('bad-scale'); // not a float32
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastV, Uint16Array.from([0x7c00])), dtype: Dtype.F16, scale: 1 }))).toBe('non-finite');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Int8Array.from([1])), scale: -1 }))).toBe('bad-scale');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Uint8Array.from([1])), scale: 1 }))).toBe('bad-dtype'); // bytes of what?
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Uint8Array.from([1])), dtype: Dtype.I8, scale: 1 }))).toBe('bad-dtype');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Uint8Array.from([1])), dtype: Dtype.I4 }))).toBe('bad-scale');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Float32Array.from([1])), scale: 2 }))).toBe('bad-scale');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Float32Array.from([1])), dtype: Dtype.F64 }))).toBe('bad-dtype');
    expect(codeOf(() => encodeFrame({ ...message(MsgKind.RfastRho, Float32Array.from([1])), base: -1 }))).toBe('bad-field');
  });

  it('rejects corrupted compact headers and non-finite codes', () => {
    const f16 = (edit: (v: DataView, b: Uint8Array<ArrayBuffer>) => void) => {
      const bytes = encodeFrame({ ...message(MsgKind.RfastV, Uint16Array.from([1, 2, 3, 4])), dtype: Dtype.F16, scale: 1, base: 2 }).slice();
      edit(new DataView(bytes.buffer), bytes);
      return bytes;
    };
    expect(codeOf(() => decodeFrame(f16(() => {})))).toBe('no error');
    expect(codeOf(() => decodeFrame(f16((v) => v.setFloat32(OFF_SCALE, 0, true))))).toBe('bad-scale');
    expect(codeOf(() => decodeFrame(f16((v) => v.setFloat32(OFF_SCALE, NaN, true))))).toBe('bad-scale');
    expect(codeOf(() => decodeFrame(f16((v) => v.setFloat32(OFF_SCALE, -Infinity, true))))).toBe('bad-scale');
    expect(codeOf(() => decodeFrame(f16((v) => v.setUint16(HEADER_BYTES + 2, 0x7e00, true))))).toBe('non-finite');
    expect(codeOf(() => decodeFrame(f16((v) => v.setUint8(OFF_DTYPE, Dtype.BF16))))).toBe('no error'); // same size: a receiver's type check
    expect(codeOf(() => decodeFrame(f16((v) => v.setUint8(OFF_DTYPE, Dtype.I8))))).toBe('length-mismatch');
    expect(codeOf(() => decodeFrame(f16((v) => v.setUint8(OFF_DTYPE, Dtype.I4))))).toBe('length-mismatch');
    expect(codeOf(() => decodeFrame(f16((v) => v.setUint8(OFF_DTYPE, 7))))).toBe('bad-dtype');
  });
});

describe('every corrupted field is rejected with its code', () => {
  const cases: [string, () => unknown, FrameErrorCode][] = [
    ['empty', () => decodeFrame(new Uint8Array(0)), 'truncated'],
    ['header minus one byte', () => decodeFrame(corrupted(() => {}).subarray(0, HEADER_BYTES - 1)), 'truncated'],
    ['payload minus one byte', () => decodeFrame(corrupted(() => {}).subarray(0, HEADER_BYTES + 31)), 'length-mismatch'],
    ['one trailing byte', () => {
      const f = corrupted(() => {});
      const g = new Uint8Array(f.length + 1);
      g.set(f);
      return decodeFrame(g);
    }, 'length-mismatch'],
    ['magic', () => decodeFrame(corrupted((v) => v.setUint16(OFF_MAGIC, 0x5453, true))), 'bad-magic'],
    ['version 0', () => decodeFrame(corrupted((v) => v.setUint8(OFF_VERSION, 0))), 'bad-version'],
    ['version 1 (before compact frames)', () => decodeFrame(corrupted((v) => v.setUint8(OFF_VERSION, 1))), 'bad-version'],
    ['version 3', () => decodeFrame(corrupted((v) => v.setUint8(OFF_VERSION, 3))), 'bad-version'],
    ['kind 0', () => decodeFrame(corrupted((v) => v.setUint8(OFF_KIND, 0))), 'unknown-kind'],
    ['kind 6', () => decodeFrame(corrupted((v) => v.setUint8(OFF_KIND, 6))), 'unknown-kind'],
    ['kind 255', () => decodeFrame(corrupted((v) => v.setUint8(OFF_KIND, 255))), 'unknown-kind'],
    ['dtype 0', () => decodeFrame(corrupted((v) => v.setUint8(OFF_DTYPE, 0))), 'bad-dtype'],
    ['dtype 7', () => decodeFrame(corrupted((v) => v.setUint8(OFF_DTYPE, 7))), 'bad-dtype'],
    ['dtype f16 on an f32 body, scale 1', () => decodeFrame(corrupted((v) => v.setUint8(OFF_DTYPE, Dtype.F16))), 'length-mismatch'],
    ['scale 2 on a float32 frame', () => decodeFrame(corrupted((v) => v.setFloat32(OFF_SCALE, 2, true))), 'bad-scale'],
    ['base without the DELTA flag', () => decodeFrame(corrupted((v) => v.setUint32(OFF_BASE, 7, true))), 'bad-flags'],
    ['dtype f64 on an f32 body', () => decodeFrame(corrupted((v) => v.setUint8(OFF_DTYPE, Dtype.F64))), 'length-mismatch'],
    ['unknown flag bits', () => decodeFrame(corrupted((v) => v.setUint8(OFF_FLAGS, 4))), 'bad-flags'],
    ['padding', () => decodeFrame(corrupted((v) => v.setUint16(OFF_PAD, 0x100, true))), 'bad-flags'],
    ['count + 1', () => decodeFrame(corrupted((v) => v.setUint32(OFF_COUNT, 9, true))), 'length-mismatch'],
    ['count - 1', () => decodeFrame(corrupted((v) => v.setUint32(OFF_COUNT, 7, true))), 'length-mismatch'],
    ['count 2^32-1', () => decodeFrame(corrupted((v) => v.setUint32(OFF_COUNT, 0xffffffff, true))), 'oversize'],
    ['aux NaN', () => decodeFrame(corrupted((v) => v.setFloat64(OFF_AUX, NaN, true))), 'bad-aux'],
    ['aux +Inf', () => decodeFrame(corrupted((v) => v.setFloat64(OFF_AUX, Infinity, true))), 'bad-aux'],
    ['aux -Inf', () => decodeFrame(corrupted((v) => v.setFloat64(OFF_AUX, -Infinity, true))), 'bad-aux'],
    ['not binary', () => decodeFrame('{"type":"hello"}' as unknown as Uint8Array), 'not-binary'],
  ];
  for (const [name, run, code] of cases) {
    it(name, () => expect(codeOf(run)).toBe(code));
  }

  it('NaN, +Inf, -Inf anywhere in an f32 or f64 payload', () => {
    for (const ctor of [Float32Array, Float64Array]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (const at of [0, 5, 31]) {
          const data = payload(ctor, 32, at);
          const frame = corrupted((_v, bytes) => {
            const body = new ctor(bytes.buffer, HEADER_BYTES, 32);
            body[at] = bad;
          }, data);
          expect(codeOf(() => decodeFrame(frame))).toBe('non-finite');
        }
      }
    }
  });

  it('NaN payloads with arbitrary bit patterns (signalling, negative)', () => {
    const frame = corrupted((_v, bytes) => {
      new Uint32Array(bytes.buffer, HEADER_BYTES, 8)[2] = 0xff800001; // negative signalling NaN
    });
    expect(codeOf(() => decodeFrame(frame))).toBe('non-finite');
  });

  it('oversize frames under the default limit and under a lowered one', () => {
    const f32 = new Uint8Array(frameSize(Dtype.F32, MAX_F32_ELEMENTS + 1));
    const v = new DataView(f32.buffer);
    v.setUint16(OFF_MAGIC, 0x5354, true);
    v.setUint8(OFF_VERSION, 2);
    v.setUint8(OFF_KIND, MsgKind.RfastV);
    v.setUint8(OFF_DTYPE, Dtype.F32);
    v.setUint32(OFF_COUNT, MAX_F32_ELEMENTS + 1, true);
    expect(codeOf(() => decodeFrame(f32))).toBe('oversize');

    const frame = encodeFrame(message(MsgKind.RfastV, new Float32Array(100)));
    expect(codeOf(() => decodeFrame(frame, { maxFrameBytes: frame.byteLength }))).toBe('no error');
    expect(codeOf(() => decodeFrame(frame, { maxFrameBytes: frame.byteLength - 1 }))).toBe('oversize');
  });
});

describe('the largest frames fit the WebRTC message limit', () => {
  it('f32 and f64 at their element limits encode to at most 256 KiB, one more is refused', () => {
    for (const [ctor, max] of [
      [Float32Array, MAX_F32_ELEMENTS],
      [Float64Array, MAX_F64_ELEMENTS],
    ] as const) {
      const frame = encodeFrame(message(MsgKind.RfastV, new ctor(max)));
      expect(frame.byteLength).toBeLessThanOrEqual(WEBRTC_MAX_MESSAGE_BYTES);
      expect(frame.byteLength + ctor.BYTES_PER_ELEMENT).toBeGreaterThan(WEBRTC_MAX_MESSAGE_BYTES);
      expect(decodeFrame(frame).data.length).toBe(max);
      expect(codeOf(() => encodeFrame(message(MsgKind.RfastV, new ctor(max + 1))))).toBe('oversize');
    }
  });
});

describe('encoding refuses messages a receiver would reject', () => {
  const ok = message(MsgKind.RfastV, new Float32Array([1, 2, 3]));
  const cases: [string, Message, FrameErrorCode][] = [
    ['unknown kind', { ...ok, kind: 99 as MsgKind }, 'unknown-kind'],
    ['negative from', { ...ok, from: -1 }, 'bad-field'],
    ['fractional seq', { ...ok, seq: 1.5 }, 'bad-field'],
    ['epoch 2^32', { ...ok, epoch: 2 ** 32 }, 'bad-field'],
    ['NaN block', { ...ok, block: NaN }, 'bad-field'],
    ['offset Infinity', { ...ok, offset: Infinity }, 'bad-field'],
    ['aux NaN', { ...ok, aux: NaN }, 'bad-aux'],
    ['payload Inf', { ...ok, data: new Float32Array([1, Infinity]) }, 'non-finite'],
    ['Int32Array payload', { ...ok, data: new Int32Array(3) as unknown as Float32Array }, 'bad-dtype'],
  ];
  for (const [name, msg, code] of cases) {
    it(name, () => expect(codeOf(() => encodeFrame(msg))).toBe(code));
  }
});

describe('isTensorFrame and tryDecodeFrame', () => {
  it('tells frames from control text and foreign bytes by the magic', () => {
    const frame = encodeFrame(message(MsgKind.AdReply, new Float32Array(2)));
    expect(isTensorFrame(frame)).toBe(true);
    expect(isTensorFrame(frame.buffer)).toBe(true);
    expect(isTensorFrame('{"t":"epoch"}')).toBe(false);
    expect(isTensorFrame(new Uint8Array([0x54]))).toBe(false);
    expect(isTensorFrame(new Uint8Array([0x53, 0x54]))).toBe(false);
    expect(isTensorFrame(new ArrayBuffer(0))).toBe(false);
    expect(isTensorFrame(null)).toBe(false);
  });

  it('returns the error instead of throwing', () => {
    const bad = tryDecodeFrame(new Uint8Array(3));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('truncated');
    expect(tryDecodeFrame('text').ok).toBe(false);
    const good = tryDecodeFrame(encodeFrame(message(MsgKind.AdReply, new Float32Array(2))));
    expect(good.ok).toBe(true);
  });

  it('error messages carry the code', () => {
    try {
      decodeFrame(new Uint8Array(5));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameError);
      expect((e as FrameError).message).toMatch(/^truncated: 5 bytes/);
    }
  });
});
