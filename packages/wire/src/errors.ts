/** Why a frame was refused. Stable strings: a runtime may count rejections per code. */
export type FrameErrorCode =
  /** The input is not an ArrayBuffer or a typed-array view. */
  | 'not-binary'
  /** Shorter than the header. */
  | 'truncated'
  | 'bad-magic'
  | 'bad-version'
  /** The kind byte is not a MsgKind. */
  | 'unknown-kind'
  /** The dtype byte is unknown, or the payload type does not match it. */
  | 'bad-dtype'
  /** Unknown flag bits, non-zero padding, or a base on a frame that is not a delta. */
  | 'bad-flags'
  /** More elements or bytes than the configured limit. */
  | 'oversize'
  /** The byte length is not exactly header + count * element size. */
  | 'length-mismatch'
  /** aux is NaN or infinite. */
  | 'bad-aux'
  /** A compact payload's scale is not a positive finite float32, or a float32/64 frame's is not 1. */
  | 'bad-scale'
  /** A payload value is NaN or infinite. */
  | 'non-finite'
  /** Encoding only: a header field is not an integer in [0, 2^32). */
  | 'bad-field'
  /** Encoding only: the caller's buffer is too small for the frame. */
  | 'target-too-small'
  /** The host is big-endian; payloads are little-endian typed-array views. */
  | 'unsupported-host';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: FrameErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
