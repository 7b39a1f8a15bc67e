/**
 * Number formats of the compact frames (docs/algorithms.md 1.7): float16, bfloat16 and int8 codes,
 * each block with its own scale, decoded as code * scale. Pure arithmetic on typed arrays, used by
 * the sender (which must know exactly what the receiver will rebuild, to keep the rounding residual)
 * and the receiver alike; packages/wire lays the codes out in frames.
 *
 * - float16 / bfloat16: scale is the power of two at or above the block's largest magnitude, so
 *   x / scale is exact and lies in [-1, 1]; rounding is to nearest, ties to even.
 * - int8: scale = fround(maxAbs / 127), codes in [-127, 127]; q * scale is exact in float64 (a
 *   7-bit integer times a 24-bit mantissa).
 * - int4: scale = fround(maxAbs / 7), codes in [-7, 7], two per byte (the even element in the low
 *   nibble, two's complement); a trailing odd element leaves the high nibble 0. A nibble of -8 is
 *   never written and decodes as -8 * scale: bounded, so a receiver need not scan for it. Only
 *   deltas against an acknowledged base travel this coarsely: what one frame rounds away, the next
 *   frame's delta still holds.
 * Scales are float32 values (the frame header stores them as float32).
 */
import { Dtype } from './contract';

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Largest |x| over src[from, from + n); NaN if any is NaN (infinities give Infinity). */
export function maxAbs(src: ArrayLike<number>, from: number, n: number): number {
  let m = 0;
  for (let i = from; i < from + n; i++) {
    const a = Math.abs(src[i]);
    if (a > m) m = a;
    else if (a !== a) return NaN; // a non-finite block never gets a finite scale
  }
  return m;
}

/** The float16/bfloat16 block scale: 2^ceil(log2 maxAbs) within float32's normal range; 1 for zeros. */
export function halfScale(max: number): number {
  if (!(max > 0)) return max === 0 ? 1 : NaN;
  if (!Number.isFinite(max)) return NaN;
  let e = Math.ceil(Math.log2(max));
  if (2 ** e < max) e++; // log2 rounding
  return 2 ** Math.min(127, Math.max(-126, e));
}

/**
 * The scale of an integer code in [-top, top]: fround(maxAbs / top), the smallest float32 for tiny
 * blocks, 1 for zeros; NaN if not finite.
 */
function intScale(max: number, top: number): number {
  if (!(max > 0)) return max === 0 ? 1 : NaN;
  const s = Math.fround(max / top);
  if (!Number.isFinite(s)) return NaN;
  return s > 0 ? s : 2 ** -149;
}

/** The int8 block scale: fround(maxAbs / 127) (intScale). */
export function i8Scale(max: number): number {
  return intScale(max, 127);
}

/** float32 value -> float16 code, round to nearest even; overflow gives infinity. */
export function toF16(x: number): number {
  F32[0] = x;
  const b = U32[0];
  const sign = (b >>> 16) & 0x8000;
  const e32 = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e32 === 0xff) return sign | 0x7c00 | (m !== 0 ? 0x200 : 0);
  const e = e32 - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // float16 subnormal: the value is M * 2^(e32 - 150) with the implicit bit; code = M >> shift.
    const shift = 14 - e;
    if (shift > 24) return sign;
    const full = m | 0x800000;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry may roll into the exponent: correct
  return sign | h;
}

let f16Table: Float32Array | null = null;

/** float16 code -> value (a 64K-entry table, built on first use). */
export function fromF16(code: number): number {
  return (f16Table ??= buildF16Table())[code & 0xffff];
}

function buildF16Table(): Float32Array {
  const t = new Float32Array(65536);
  for (let c = 0; c < 65536; c++) {
    const sign = c & 0x8000 ? -1 : 1;
    const e = (c >>> 10) & 0x1f;
    const m = c & 0x3ff;
    if (e === 0) t[c] = sign * m * 2 ** -24;
    else if (e === 31) t[c] = m === 0 ? sign * Infinity : NaN;
    else t[c] = sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
}

/** float32 value -> bfloat16 code, round to nearest even. */
export function toBf16(x: number): number {
  F32[0] = x;
  const b = U32[0];
  if ((b & 0x7f800000) === 0x7f800000) return (b >>> 16) | ((b & 0xffff) !== 0 ? 0x40 : 0);
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBf16(code: number): number {
  U32[0] = (code & 0xffff) << 16;
  return F32[0];
}

/** Is a float16 / bfloat16 code a finite value? (The exponent field is not all ones.) */
export function finiteHalf(code: number, dtype: typeof Dtype.F16 | typeof Dtype.BF16): boolean {
  return dtype === Dtype.F16 ? (code & 0x7c00) !== 0x7c00 : (code & 0x7f80) !== 0x7f80;
}

/** Every code of a float16 / bfloat16 payload is finite. */
export function allFiniteHalf(codes: Uint16Array, dtype: typeof Dtype.F16 | typeof Dtype.BF16): boolean {
  const mask = dtype === Dtype.F16 ? 0x7c00 : 0x7f80;
  for (let i = 0; i < codes.length; i++) if ((codes[i] & mask) === mask) return false;
  return true;
}

/** out[i] = code of src[from + i] / scale, for i < n (scale from halfScale: the division is exact). */
export function encodeHalf(
  src: ArrayLike<number>,
  from: number,
  n: number,
  dtype: typeof Dtype.F16 | typeof Dtype.BF16,
  scale: number,
  out: Uint16Array,
): void {
  const inv = 1 / scale; // a power of two: multiplying by it is exact
  if (dtype === Dtype.F16) for (let i = 0; i < n; i++) out[i] = toF16(src[from + i] * inv);
  else for (let i = 0; i < n; i++) out[i] = toBf16(src[from + i] * inv);
}

/** out[at + i] = value of codes[i] * scale. */
export function decodeHalf(
  codes: Uint16Array,
  dtype: typeof Dtype.F16 | typeof Dtype.BF16,
  scale: number,
  out: Float32Array | Float64Array,
  at: number,
): void {
  if (dtype === Dtype.F16) {
    const t = (f16Table ??= buildF16Table());
    for (let i = 0; i < codes.length; i++) out[at + i] = t[codes[i]] * scale;
  } else {
    for (let i = 0; i < codes.length; i++) out[at + i] = fromBf16(codes[i]) * scale;
  }
}

/** out[i] = round(src[from + i] / scale) clamped to [-127, 127]. */
export function encodeI8(src: ArrayLike<number>, from: number, n: number, scale: number, out: Int8Array): void {
  for (let i = 0; i < n; i++) {
    const q = Math.round(src[from + i] / scale);
    out[i] = q > 127 ? 127 : q < -127 ? -127 : q;
  }
}

/** out[at + i] = codes[i] * scale (exact in float64). */
export function decodeI8(codes: Int8Array, scale: number, out: Float32Array | Float64Array, at: number): void {
  for (let i = 0; i < codes.length; i++) out[at + i] = codes[i] * scale;
}

/** The int4 block scale: fround(maxAbs / 7) (intScale). */
export function i4Scale(max: number): number {
  return intScale(max, 7);
}

/** Bytes of an int4 payload of n codes. */
export function i4Bytes(n: number): number {
  return (n + 1) >>> 1;
}

/** src[from, from + n) / scale rounded to int4 codes in [-7, 7], packed two per byte into out. */
export function encodeI4(src: ArrayLike<number>, from: number, n: number, scale: number, out: Uint8Array): void {
  for (let i = 0; i < n; i += 2) {
    const a = Math.round(src[from + i] / scale);
    const lo = a > 7 ? 7 : a < -7 ? -7 : a;
    let hi = 0;
    if (i + 1 < n) {
      const b = Math.round(src[from + i + 1] / scale);
      hi = b > 7 ? 7 : b < -7 ? -7 : b;
    }
    out[i >>> 1] = (lo & 0x0f) | ((hi & 0x0f) << 4);
  }
}

/** out[at + i] = code_i * scale for the first n codes of a packed int4 payload (exact in float64). */
export function decodeI4(codes: Uint8Array, n: number, scale: number, out: Float32Array | Float64Array, at: number): void {
  for (let i = 0; i < n; i += 2) {
    const byte = codes[i >>> 1];
    out[at + i] = (((byte & 0x0f) ^ 0x08) - 0x08) * scale;
    if (i + 1 < n) out[at + i + 1] = ((((byte >>> 4) & 0x0f) ^ 0x08) - 0x08) * scale;
  }
}

/** Is `scale` usable in a compact frame: a positive finite float32 value? */
export function validScale(scale: unknown): scale is number {
  return typeof scale === 'number' && scale > 0 && Number.isFinite(scale) && Math.fround(scale) === scale;
}
