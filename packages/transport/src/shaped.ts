/**
 * ShapedUplink wraps any peer's transports so that everything they send (unreliable frames,
 * reliable frames, control text) shares one uplink of the run's rate and latency (Uplink). Used by
 * the peer runtime for the `home` profile and for a volunteer's upload cap (which may come and go
 * during a run: with no rate and no latency the wrapper passes everything straight through, and the
 * inner link's own buffer and drain events rule); the simulator drives the same Uplink directly.
 */
import type { PeerId } from '@starling/core';
import { REAL_CLOCK, type Clock } from './clock';
import type { LinkShape } from './profiles';
import type { Transport, TransportEvents } from './transport';
import { Uplink } from './uplink';

interface Frame {
  data: Uint8Array | string;
  reliable: boolean;
}

function frameBytes(f: Frame): number {
  return typeof f.data === 'string' ? f.data.length : f.data.byteLength;
}

export class ShapedUplink {
  private readonly uplink: Uplink<Frame>;
  private readonly links = new Map<PeerId, ShapedTransport>();

  constructor(shape: LinkShape, burstBytes: number, clock: Clock = REAL_CLOCK) {
    this.uplink = new Uplink<Frame>({
      shape,
      burstBytes,
      clock,
      size: frameBytes,
      deliver: (to, f) => this.links.get(to)?.deliver(f),
      drained: (to) => this.links.get(to)?.drained(),
    });
  }

  get bytesPerSec(): number | null {
    return this.uplink.bytesPerSec;
  }

  /** Does the uplink hold anything back (a rate or a latency)? */
  get shaping(): boolean {
    return this.uplink.bytesPerSec !== null || this.uplink.latency > 0;
  }

  setRate(bytesPerSec: number | null): void {
    this.uplink.setRate(bytesPerSec);
  }

  /** `inner` with every send going through this uplink. */
  wrap(inner: Transport): Transport {
    const t = new ShapedTransport(inner, this.uplink, () => this.shaping, () => {
      if (this.links.get(inner.remote) === t) this.links.delete(inner.remote);
      this.uplink.drop(inner.remote);
    });
    this.links.set(inner.remote, t);
    return t;
  }
}

/**
 * One link behind the shared uplink. While the uplink shapes, `buffered` is what waits for the
 * bucket and a fresh-frame sender may add one only when that is empty (lowWater 0); otherwise the
 * inner link's buffer and low-water mark rule.
 */
class ShapedTransport implements Transport {
  private events: TransportEvents | null = null;

  constructor(
    private readonly inner: Transport,
    private readonly uplink: Uplink<Frame>,
    private readonly shaping: () => boolean,
    private readonly onClosed: () => void,
  ) {
    inner.listen({
      open: () => this.events?.open(),
      close: (reason) => {
        this.onClosed();
        this.events?.close(reason);
      },
      frame: (bytes, reliable) => this.events?.frame(bytes, reliable),
      control: (text) => this.events?.control(text),
      drain: () => {
        if (!this.shaping()) this.events?.drain(); // shaped, our own queue decides (drained())
      },
    });
  }

  get remote(): PeerId {
    return this.inner.remote;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  get buffered(): number {
    return this.shaping() ? this.uplink.queued(this.inner.remote) : this.inner.buffered;
  }

  get lowWater(): number {
    return this.shaping() ? 0 : this.inner.lowWater;
  }

  listen(events: TransportEvents): void {
    this.events = events;
  }

  sendUnreliable(bytes: Uint8Array): boolean {
    if (!this.inner.isOpen) return false;
    this.uplink.enqueue(this.inner.remote, { data: bytes, reliable: false });
    return true;
  }

  sendReliable(data: Uint8Array | string): void {
    this.uplink.enqueue(this.inner.remote, { data: typeof data === 'string' ? data : data.slice(), reliable: true });
  }

  close(reason?: string): void {
    this.inner.close(reason);
  }

  deliver(f: Frame): void {
    if (f.reliable) this.inner.sendReliable(f.data);
    else this.inner.sendUnreliable(f.data as Uint8Array);
  }

  drained(): void {
    this.events?.drain();
  }
}
