export type MnistErrorCode =
  /** An IDX source file is malformed or not the expected MNIST split. */
  | 'bad-idx'
  /** A packed set / shard payload is shorter than its header. */
  | 'truncated'
  | 'bad-magic'
  | 'bad-version'
  /** A header field is out of range (zero dims, reserved bytes set, shard index >= shard count). */
  | 'bad-header'
  /** The byte length does not match count x (rows x cols + 1) + header exactly. */
  | 'length-mismatch'
  /** A label is not a class index. */
  | 'bad-label'
  /** The payload is valid but not the one the caller asked for (shard, dims, count). */
  | 'unexpected-set'
  /** A caller option or buffer is invalid. */
  | 'bad-option'
  /** The requested shard split cannot be made from these labels. */
  | 'infeasible';

export class MnistError extends Error {
  override readonly name = 'MnistError';
  constructor(
    readonly code: MnistErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
