/** Tunables of R-FAST's implementation (not of the algorithm: lr and blockSize come per run). */
export const RFAST_DEFAULTS = {
  /**
   * With kernels 'auto', models of at least this many coordinates run the WebAssembly SIMD
   * kernels; smaller ones plain JavaScript. Each SIMD peer owns a WebAssembly.Memory, which V8
   * backs with a large virtual-address reservation and at least one 64 KiB page: a simulation of
   * thousands of tiny peers would run out of reservations, and below a few thousand coordinates a
   * step takes microseconds either way.
   */
  simdMinDim: 2048,
} as const;
