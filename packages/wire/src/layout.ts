/**
 * Byte layout of a tensor frame. Everything is little-endian; the header is a multiple of 8 bytes so
 * that, in a buffer whose start is 8-aligned, the payload can be viewed as Float64Array without a copy.
 *
 *   off size field
 *     0   2  magic    u16  0x5354 (bytes 54 53)
 *     2   1  version  u8   FRAME_VERSION
 *     3   1  kind     u8   a MsgKind
 *     4   1  dtype    u8   1 = float32, 2 = float64
 *     5   1  flags    u8   reserved, must be 0
 *     6   2  pad      u16  reserved, must be 0
 *     8   4  from     u32
 *    12   4  epoch    u32
 *    16   4  seq      u32
 *    20   4  block    u32
 *    24   4  offset   u32
 *    28   4  count    u32  number of payload elements
 *    32   8  aux      f64  finite
 *    40      payload  count * 4 (f32) or count * 8 (f64) bytes, little-endian
 */

export const FRAME_MAGIC = 0x5354;
export const FRAME_VERSION = 1;

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

/** Header size in bytes; the payload starts here. A multiple of 8 (payload alignment). */
export const HEADER_BYTES = 40;

/** Payload element type codes (header byte 4). */
export const Dtype = { F32: 1, F64: 2 } as const;
export type Dtype = (typeof Dtype)[keyof typeof Dtype];

/** Bytes per element for a dtype code; 0 for an unknown code. */
export function elementBytes(dtype: number): number {
  return dtype === Dtype.F32 ? 4 : dtype === Dtype.F64 ? 8 : 0;
}
