/**
 * Limits of the wire format. One object, so a runtime can see (and, for tests, lower) every tunable
 * in one place.
 */
import { Dtype, HEADER_BYTES, elementBytes } from './layout';

export { HEADER_BYTES };

/** Chromium's data-channel max message size (environment.md): `send` of more throws. */
export const WEBRTC_MAX_MESSAGE_BYTES = 256 * 1024;

export interface WireLimits {
  /**
   * Largest frame, header included, that is encoded or accepted. Inclusive. The element limit per
   * dtype follows from it (see `maxElements`).
   */
  readonly maxFrameBytes: number;
}

export const WIRE_CONFIG = {
  maxFrameBytes: WEBRTC_MAX_MESSAGE_BYTES,
  /**
   * Suggested block size in elements: 4096 float32 = 16 KiB payload. On an unordered, no-retransmit
   * channel about 1% of 16 KiB messages were lost at full speed; 256 KiB messages lose far more
   * (one lost SCTP fragment drops the whole message). Measure before changing.
   */
  defaultBlockSize: 4096,
} as const satisfies WireLimits & { defaultBlockSize: number };

/** Most elements a frame of `dtype` may carry under `limits`; 0 for an unknown dtype. */
export function maxElements(dtype: number, limits: WireLimits = WIRE_CONFIG): number {
  const eb = elementBytes(dtype);
  if (eb === 0 || limits.maxFrameBytes < HEADER_BYTES) return 0;
  return Math.floor((limits.maxFrameBytes - HEADER_BYTES) / eb);
}

/** 65,526 float32 elements per frame under the default 256 KiB limit. */
export const MAX_F32_ELEMENTS = maxElements(Dtype.F32);
/** 32,763 float64 elements per frame under the default 256 KiB limit. */
export const MAX_F64_ELEMENTS = maxElements(Dtype.F64);
