/**
 * Byte layout of a tensor frame. Everything is little-endian; the header is a multiple of 8 bytes so
 * that, in a buffer whose start is 8-aligned, the payload can be viewed as Float64Array without a copy.
 *
 *   off size field
 *     0   2  magic    u16  0x5354 (bytes 54 53)
 *     2   1  version  u8   FRAME_VERSION
 *     3   1  kind     u8   a MsgKind
 *     4   1  dtype    u8   1 = float32, 2 = float64, 3 = float16, 4 = bfloat16, 5 = int8,
 *                          6 = int4 (two codes per byte)
 *     5   1  flags    u8   bit 0 DELTA (value = base + payload), bit 1 KEEP; other bits 0
 *     6   2  pad      u16  reserved, must be 0
 *     8   4  from     u32
 *    12   4  epoch    u32
 *    16   4  seq      u32
 *    20   4  block    u32
 *    24   4  offset   u32
 *    28   4  count    u32  number of payload elements (int4: bytes; the block says how many codes)
 *    32   8  aux      f64  finite
 *    40   4  base     u32  seq of the delta's base; 0 unless DELTA
 *    44   4  scale    f32  compact dtypes: finite and > 0 (value = code * scale); float32/64: 1
 *    48      payload  count * 4 / 8 / 2 / 2 / 1 / 1 bytes, little-endian
 */
import { Dtype } from '@starling/core';

export { Dtype };

export const FRAME_MAGIC = 0x5354;
/** 2: compact dtypes, flags, base and scale (docs/algorithms.md 1.7). Version 1 frames are refused. */
export const FRAME_VERSION = 2;

export const OFF_MAGIC = 0;
export const OFF_VERSION = 2;
export const OFF_KIND = 3;
export const OFF_DTYPE = 4;
export const OFF_FLAGS = 5;
export const OFF_PAD = 6;
export const OFF_FROM = 8;
export const OFF_EPOCH = 12;
export const OFF_SEQ = 16;
export const OFF_BLOCK = 20;
export const OFF_OFFSET = 24;
export const OFF_COUNT = 28;
export const OFF_AUX = 32;
export const OFF_BASE = 40;
export const OFF_SCALE = 44;

/** Header size in bytes; the payload starts here. A multiple of 8 (payload alignment). */
export const HEADER_BYTES = 48;

/** Flag bits (header byte 5). */
export const FLAG_DELTA = 1;
export const FLAG_KEEP = 2;

/** Bytes per element for a dtype code; 0 for an unknown code. */
export function elementBytes(dtype: number): number {
  switch (dtype) {
    case Dtype.F32:
      return 4;
    case Dtype.F64:
      return 8;
    case Dtype.F16:
    case Dtype.BF16:
      return 2;
    case Dtype.I8:
    case Dtype.I4:
      return 1;
    default:
      return 0;
  }
}

/** Is the dtype a compact code (decoded as code * scale)? */
export function isCompact(dtype: number): boolean {
  return dtype === Dtype.F16 || dtype === Dtype.BF16 || dtype === Dtype.I8 || dtype === Dtype.I4;
}
