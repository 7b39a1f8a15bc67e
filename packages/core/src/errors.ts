/** Typed errors of the core package; messages say what is wrong and what to do. */

/** A topology that cannot work (no common root, unknown peer, empty graph). */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

/** A bad algorithm option (non-positive step size, block size, mismatched vector length). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
