import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MsgKind, type Message } from '@starling/core';
import { FrameError, HEADER_BYTES, decodeFrame, encodeFrame } from './index';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const finite64 = fc.double({ noNaN: true, noDefaultInfinity: true });

const messageArb: fc.Arbitrary<Message> = fc.record({
  kind: fc.constantFrom(...Object.values(MsgKind)),
  from: u32,
  epoch: u32,
  seq: u32,
  block: u32,
  offset: u32,
  aux: finite64,
  data: fc.oneof(
    fc.float32Array({ noNaN: true, noDefaultInfinity: true, maxLength: 300 }),
    fc.float64Array({ noNaN: true, noDefaultInfinity: true, maxLength: 300 }),
  ),
});

function onlyFrameErrors(bytes: Uint8Array): boolean {
  try {
    decodeFrame(bytes);
    return true;
  } catch (e) {
    return e instanceof FrameError;
  }
}

describe('fuzz', () => {
  it('random valid messages round-trip bit-exactly', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const out = decodeFrame(encodeFrame(msg));
        const { data: d0, ...h0 } = msg;
        const { data: d1, ...h1 } = out;
        expect(h1).toEqual(h0);
        expect(Object.is(out.aux, msg.aux)).toBe(true);
        expect(d1.constructor).toBe(d0.constructor);
        expect(new Uint8Array(d1.buffer, d1.byteOffset, d1.byteLength)).toEqual(
          new Uint8Array(d0.buffer, d0.byteOffset, d0.byteLength),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes never throw anything but FrameError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), onlyFrameErrors), { numRuns: 2000 });
  });

  it('random bytes behind a valid-looking header never throw anything but FrameError', () => {
    // Plain random bytes almost never pass the magic check; this reaches the deeper checks.
    const prefix = fc.tuple(
      fc.constantFrom(1, 0, 2),
      fc.constantFrom(...Object.values(MsgKind), 0, 255),
      fc.constantFrom(1, 2, 3, 4, 5, 0, 6),
      fc.uint8Array({ minLength: 35, maxLength: 400 }),
    );
    fc.assert(
      fc.property(prefix, ([version, kind, dtype, rest]) => {
        const bytes = new Uint8Array(5 + rest.length);
        bytes.set([0x54, 0x53, version, kind, dtype]);
        bytes.set(rest, 5);
        return onlyFrameErrors(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('one random byte flip in a valid frame decodes or fails with FrameError, never corrupts silently in the header', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (msg, pos, xor) => {
        const frame = encodeFrame(msg).slice();
        const at = pos % frame.length;
        frame[at] ^= xor;
        try {
          const out = decodeFrame(frame);
          // Accepted: then the flip hit a field with no redundancy (ids, aux, payload) and the result
          // must reflect exactly those bytes, re-encoding to the flipped frame.
          expect(encodeFrame(out)).toEqual(frame);
          // Besides kind (byte 3), the DELTA / KEEP flags (byte 5: a delta on base 0 is valid) and the
          // fields from byte 8 on, only the dtype (byte 4) of an empty payload can change
          // undetected: with no elements, every dtype is the same bytes.
          expect(at === 3 || at === 5 || at >= 8 || (at === 4 && msg.data.length === 0)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('truncation at every length is rejected', () => {
    const frame = encodeFrame({ kind: MsgKind.RfastRho, from: 1, epoch: 2, seq: 3, block: 4, offset: 5, aux: 6, data: new Float64Array(5) });
    for (let len = 0; len < frame.length; len++) {
      const code = (() => {
        try {
          decodeFrame(frame.subarray(0, len));
          return 'accepted';
        } catch (e) {
          return (e as FrameError).code;
        }
      })();
      expect(code).toBe(len < HEADER_BYTES ? 'truncated' : 'length-mismatch');
    }
  });
});
