/**
 * Injected loss as a transport wrapper: each unreliable frame is dropped with probability `rate()`
 * (seeded, so a run repeats). Placed under the shaper, a dropped frame still spends its share of
 * the uplink, as a frame lost on the way would.
 */
import type { PeerId, Rng } from '@starling/core';
import type { Transport, TransportEvents } from './transport';

export class LossyTransport implements Transport {
  /** Unreliable frames dropped on purpose so far. */
  drops = 0;

  constructor(
    private readonly inner: Transport,
    private readonly rng: Rng,
    private readonly rate: () => number,
  ) {}

  get remote(): PeerId {
    return this.inner.remote;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  get buffered(): number {
    return this.inner.buffered;
  }

  get lowWater(): number {
    return this.inner.lowWater;
  }

  sendUnreliable(bytes: Uint8Array): boolean {
    const p = this.rate();
    if (p > 0 && this.inner.isOpen && this.rng.next() < p) {
      this.drops++;
      return true; // taken, and lost on the way
    }
    return this.inner.sendUnreliable(bytes);
  }

  sendReliable(data: Uint8Array | string): void {
    this.inner.sendReliable(data);
  }

  close(reason?: string): void {
    this.inner.close(reason);
  }

  listen(events: TransportEvents): void {
    this.inner.listen(events);
  }
}
