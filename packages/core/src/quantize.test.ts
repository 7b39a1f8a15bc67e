/** The number formats of compact frames: exact round trips where they must be, bounded rounding elsewhere. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dtype } from './contract';
import {
  allFiniteHalf, decodeHalf, decodeI4, decodeI8, encodeHalf, encodeI4, encodeI8, finiteHalf, fromBf16, fromF16, halfScale, i4Bytes, i4Scale, i8Scale, maxAbs, toBf16, toF16,
  validScale,
} from './quantize';

const f32 = (x: number) => Math.fround(x);

describe('float16', () => {
  it('every finite code decodes to a value that encodes back to the same code', () => {
    for (let c = 0; c < 65536; c++) {
      if (!finiteHalf(c, Dtype.F16)) continue;
      expect(toF16(fromF16(c))).toBe(c);
    }
  });

  it('edge values: largest, smallest normal and subnormal, signed zero, overflow, ties to even', () => {
    expect(fromF16(toF16(65504))).toBe(65504);
    expect(toF16(65520)).toBe(0x7c00); // rounds up to infinity
    expect(toF16(65519)).toBe(0x7bff);
    expect(fromF16(toF16(2 ** -14))).toBe(2 ** -14);
    expect(fromF16(toF16(2 ** -24))).toBe(2 ** -24);
    expect(toF16(2 ** -25)).toBe(0); // exactly half the smallest subnormal: ties to even (0)
    expect(toF16(f32(1.5 * 2 ** -25))).toBe(1);
    expect(toF16(-0)).toBe(0x8000);
    expect(toF16(1 + 2 ** -11)).toBe(toF16(1)); // tie between 1 and 1 + 2^-10: to even
    expect(toF16(1 + 3 * 2 ** -11)).toBe(toF16(1 + 2 ** -9)); // tie: to even (up)
    expect(finiteHalf(toF16(Infinity), Dtype.F16)).toBe(false);
    expect(finiteHalf(toF16(NaN), Dtype.F16)).toBe(false);
  });

  it('rounds any value of [-1, 1] to within half a unit in the last place', () => {
    fc.assert(
      fc.property(fc.float({ min: -1, max: 1, noNaN: true }), (x) => {
        const y = fromF16(toF16(x));
        const ulp = Math.abs(x) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10);
        expect(Math.abs(y - x)).toBeLessThanOrEqual(ulp / 2);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('bfloat16', () => {
  it('every finite code round-trips, and rounding stays within half an ulp (8-bit mantissa)', () => {
    for (let c = 0; c < 65536; c++) if (finiteHalf(c, Dtype.BF16)) expect(toBf16(fromBf16(c))).toBe(c);
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: f32(-1e30), max: f32(1e30) }).filter((x) => x === 0 || Math.abs(x) >= 2 ** -126), (x) => {
        const y = fromBf16(toBf16(x));
        expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8);
      }),
      { numRuns: 2000 },
    );
    expect(finiteHalf(toBf16(-Infinity), Dtype.BF16)).toBe(false);
    expect(allFiniteHalf(Uint16Array.from([toBf16(1), toBf16(NaN)]), Dtype.BF16)).toBe(false);
  });
});

/** Blocks of normal magnitudes (or zeros): float32 subnormal scales carry fewer bits, and such deltas are below 1e-36 anyway. */
const block = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-30 ? 0 : x)), { minLength: 1, maxLength: 64 });

describe('block codecs with a per-block scale', () => {
  for (const dtype of [Dtype.F16, Dtype.BF16] as const) {
    it(`${dtype === Dtype.F16 ? 'float16' : 'bfloat16'}: power-of-two scale, error within the format's half ulp of maxAbs`, () => {
      fc.assert(
        fc.property(block, (xs) => {
          const src = Float32Array.from(xs);
          const m = maxAbs(src, 0, src.length);
          const scale = halfScale(m);
          expect(validScale(scale)).toBe(true);
          expect(Number.isInteger(Math.log2(scale))).toBe(true);
          expect(scale).toBeGreaterThanOrEqual(m);
          const codes = new Uint16Array(src.length);
          encodeHalf(src, 0, src.length, dtype, scale, codes);
          expect(allFiniteHalf(codes, dtype)).toBe(true);
          const out = new Float64Array(src.length);
          decodeHalf(codes, dtype, scale, out, 0);
          const rel = dtype === Dtype.F16 ? 2 ** -11 : 2 ** -8;
          for (let i = 0; i < src.length; i++) expect(Math.abs(out[i] - src[i])).toBeLessThanOrEqual(Math.max(Math.abs(src[i]) * rel, scale * 2 ** -24));
        }),
      );
    });
  }

  it('int8: codes in [-127, 127], the largest magnitude at +-127, error at most scale / 2, exact decode', () => {
    fc.assert(
      fc.property(block, (xs) => {
        const src = Float64Array.from(xs);
        const m = maxAbs(src, 0, src.length);
        const scale = i8Scale(m);
        expect(validScale(scale)).toBe(true);
        const codes = new Int8Array(src.length);
        encodeI8(src, 0, src.length, scale, codes);
        const out = new Float64Array(src.length);
        decodeI8(codes, scale, out, 0);
        for (let i = 0; i < src.length; i++) {
          expect(Math.abs(codes[i])).toBeLessThanOrEqual(127);
          expect(Math.abs(out[i] - src[i])).toBeLessThanOrEqual(scale * 0.5000001);
          expect(out[i]).toBe(codes[i] * scale);
          if (m > 0 && Math.abs(src[i]) === m) expect(Math.abs(codes[i])).toBe(127);
        }
      }),
    );
  });

  it('int4: two codes per byte in [-7, 7], the largest magnitude at +-7, error at most scale / 2, exact decode, odd lengths too', () => {
    fc.assert(
      fc.property(block, (xs) => {
        const src = Float64Array.from(xs);
        const n = src.length;
        const m = maxAbs(src, 0, n);
        const scale = i4Scale(m);
        expect(validScale(scale)).toBe(true);
        const codes = new Uint8Array(i4Bytes(n));
        encodeI4(src, 0, n, scale, codes);
        const out = new Float64Array(n);
        decodeI4(codes, n, scale, out, 0);
        for (let i = 0; i < n; i++) {
          const q = out[i] / scale;
          expect(Number.isInteger(q) && Math.abs(q) <= 7).toBe(true);
          expect(Math.abs(out[i] - src[i])).toBeLessThanOrEqual(scale * 0.5000001);
          if (m > 0 && Math.abs(src[i]) === m) expect(Math.abs(q)).toBe(7);
        }
        if (n % 2 === 1) expect(codes[codes.length - 1] >> 4).toBe(0); // the unused high nibble stays 0
      }),
    );
  });

  it('int4 packing: low nibble first, two\'s complement; -8 (never written) decodes as -8 * scale', () => {
    const codes = new Uint8Array(2);
    encodeI4([1, -1, 7, -7], 0, 4, 1, codes);
    expect(Array.from(codes)).toEqual([0xf1, 0x97]);
    const out = new Float32Array(2);
    decodeI4(Uint8Array.from([0x08]), 2, 0.5, out, 0);
    expect(Array.from(out)).toEqual([-4, 0]);
    expect(i4Bytes(0)).toBe(0);
    expect(i4Bytes(4095)).toBe(2048);
  });

  it('all-zero blocks get scale 1; non-finite blocks get no scale at all (the sender sends them whole)', () => {
    expect(halfScale(0)).toBe(1);
    expect(i8Scale(0)).toBe(1);
    expect(i4Scale(0)).toBe(1);
    expect(i4Scale(Infinity)).toBeNaN();
    for (const bad of [NaN, Infinity]) {
      expect(halfScale(maxAbs([1, bad], 0, 2))).toBeNaN();
      expect(i8Scale(maxAbs([bad, 1], 0, 2))).toBeNaN();
    }
    expect(i8Scale(1e300)).toBeNaN(); // beyond float32: cannot be a frame's scale
    expect(i8Scale(1e-44)).toBeGreaterThan(0);
    for (const s of [0, -1, NaN, Infinity, 0.1]) expect(validScale(s)).toBe(false); // 0.1 is not a float32
    expect(validScale(f32(0.1))).toBe(true);
  });
});
