export { encodeFrame, encodeInto, decodeFrame, tryDecodeFrame, isTensorFrame, frameSize, dtypeOf } from './frame';
export type { DecodeResult } from './frame';
export { FrameError } from './errors';
export type { FrameErrorCode } from './errors';
export {
  WIRE_CONFIG,
  WEBRTC_MAX_MESSAGE_BYTES,
  MAX_F32_ELEMENTS,
  MAX_F64_ELEMENTS,
  HEADER_BYTES,
  maxElements,
} from './config';
export type { WireLimits } from './config';
export { Dtype, FRAME_MAGIC, FRAME_VERSION } from './layout';
