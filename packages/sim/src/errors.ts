/** Typed errors of the simulator; each message says which config field is wrong and how to fix it. */

/** A simulation config that cannot run (bad numbers, unknown peer ids, impossible schedules). */
export class SimConfigError extends Error {
  override readonly name = 'SimConfigError';
}

/** The simulated network could not honour its contract (a reliable message exhausted its retries). */
export class SimNetworkError extends Error {
  override readonly name = 'SimNetworkError';
}

export function requireFinite(name: string, value: number, min = -Infinity, max = Infinity): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new SimConfigError(`${name} must be a finite number in [${min}, ${max}], got ${value}`);
  }
}
