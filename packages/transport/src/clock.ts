/** Time and timers, injected: real ones in a browser or Node peer, virtual ones in the simulator. */
export interface Clock {
  /** Milliseconds. */
  now(): number;
  /** Calls `fn` once, at `atMs` or later. */
  at(atMs: number, fn: () => void): void;
}

/** performance.now() and setTimeout. */
export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  at: (atMs, fn) => {
    setTimeout(fn, Math.max(0, atMs - performance.now()));
  },
};
