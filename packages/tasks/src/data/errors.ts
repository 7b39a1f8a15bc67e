export type DataErrorCode =
  /** A source file is malformed or not what the task expects. */
  | 'bad-source'
  /** A packed set / shard payload is shorter than its header. */
  | 'truncated'
  | 'bad-magic'
  | 'bad-version'
  /** A header field is out of range (zero dims, reserved bytes set, shard index >= shard count). */
  | 'bad-header'
  /** The byte length does not match what the header announces. */
  | 'length-mismatch'
  /** A label or token is not below the set's class count, or a float value is NaN/Inf. */
  | 'bad-label'
  /** The payload is valid but not the one the caller asked for (shard, shape, count). */
  | 'unexpected-set'
  /** A caller option or buffer is invalid. */
  | 'bad-option'
  /** The requested shard split cannot be made from these labels. */
  | 'infeasible';

/** A data set, payload or option that cannot be used; the message says why and what to do. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    readonly code: DataErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
