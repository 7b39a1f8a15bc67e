/** Typed errors of the benchmarks; messages name the bad option and what would fix it. */

/** A preset, scenario, command-line option or report input that cannot be used. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
}
