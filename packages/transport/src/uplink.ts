/**
 * A peer's uplink, shared by all its links: a token bucket (the upload rate) followed by a delay
 * line (the one-way latency). Each link has its own FIFO queue and the bucket serves the links in
 * turn, one frame at a time, so one busy link cannot starve the others. Generic over the frame
 * type: the browser peer queues encoded bytes (ShapedTransport), the simulator queues its
 * in-memory messages, with the same code and the same timing.
 */
import type { PeerId } from '@starling/core';
import type { Clock } from './clock';
import type { LinkShape } from './profiles';
import { TokenBucket } from './token-bucket';

export interface UplinkOptions<F> {
  shape: LinkShape;
  /** Bytes the bucket may save up while idle (a burst leaves at once). */
  burstBytes: number;
  clock: Clock;
  size(frame: F): number;
  /** A frame has crossed the uplink and its latency: hand it to the link below. */
  deliver(to: PeerId, frame: F): void;
  /** Link `to`'s queue emptied: its sender may queue more. */
  drained(to: PeerId): void;
}

/**
 * A timer may fire a hair before its time when a clock converts units (the simulator keeps seconds):
 * frames due within this many milliseconds count as due, or the line would re-arm forever.
 */
const DUE_SLACK_MS = 1e-6;

interface Queue<F> {
  items: F[];
  head: number;
  bytes: number;
}

interface InFlight<F> {
  due: number;
  to: PeerId;
  frame: F;
}

export class Uplink<F> {
  private readonly bucket: TokenBucket;
  private readonly queues = new Map<PeerId, Queue<F>>();
  /** Links with a queued frame, in the order the bucket serves them. */
  private readonly turn: PeerId[] = [];
  private readonly line: InFlight<F>[] = [];
  private lineHead = 0;
  private releaseTimer = false;
  private lineTimer = false;
  private releasing = false;
  private readonly latencyMs: number;

  constructor(private readonly o: UplinkOptions<F>) {
    this.bucket = new TokenBucket(o.shape.uplinkBytesPerSec, o.burstBytes, o.clock.now());
    this.latencyMs = o.shape.latencyMs;
    if (!(this.latencyMs >= 0 && Number.isFinite(this.latencyMs))) throw new RangeError(`latencyMs must be >= 0, got ${this.latencyMs}`);
  }

  get bytesPerSec(): number | null {
    return this.bucket.bytesPerSec;
  }

  get latency(): number {
    return this.latencyMs;
  }

  setRate(bytesPerSec: number | null): void {
    this.bucket.setRate(bytesPerSec, this.o.clock.now());
    this.release();
  }

  /** Bytes queued for `to` that the bucket has not let through yet. */
  queued(to: PeerId): number {
    return this.queues.get(to)?.bytes ?? 0;
  }

  enqueue(to: PeerId, frame: F): void {
    let q = this.queues.get(to);
    if (q === undefined) {
      q = { items: [], head: 0, bytes: 0 };
      this.queues.set(to, q);
    }
    if (q.head === q.items.length) this.turn.push(to);
    q.items.push(frame);
    q.bytes += this.o.size(frame);
    this.release();
  }

  /** Forgets link `to` (it closed): its queued frames are dropped. */
  drop(to: PeerId): void {
    this.queues.delete(to);
    const i = this.turn.indexOf(to);
    if (i >= 0) this.turn.splice(i, 1);
  }

  /** Lets frames through while the bucket allows; each link's turn is one frame. */
  private release(): void {
    if (this.releasing) return; // a drained() callback that enqueues lands here: the loop below takes it
    this.releasing = true;
    const now = this.o.clock.now();
    const emptied: PeerId[] = [];
    try {
      while (this.turn.length > 0) {
        if (!this.bucket.ready(now)) {
          this.wakeAt(this.bucket.readyAt(now));
          break;
        }
        const to = this.turn.shift() as PeerId;
        const q = this.queues.get(to) as Queue<F>;
        const frame = q.items[q.head];
        q.items[q.head++] = undefined as unknown as F;
        const size = this.o.size(frame);
        q.bytes -= size;
        this.bucket.take(size, now);
        if (q.head < q.items.length) this.turn.push(to);
        else {
          q.items.length = 0;
          q.head = 0;
          q.bytes = 0;
          emptied.push(to);
        }
        this.toLine(now, to, frame);
      }
    } finally {
      this.releasing = false;
    }
    for (const to of emptied) if (this.queues.has(to)) this.o.drained(to);
    // A drained() callback may have queued more while the bucket still has room.
    if (emptied.length > 0 && this.turn.length > 0 && this.bucket.ready(this.o.clock.now())) this.release();
  }

  private wakeAt(t: number): void {
    if (this.releaseTimer) return;
    this.releaseTimer = true;
    this.o.clock.at(t, () => {
      this.releaseTimer = false;
      this.release();
    });
  }

  private toLine(now: number, to: PeerId, frame: F): void {
    if (this.latencyMs === 0) {
      this.o.deliver(to, frame);
      return;
    }
    this.line.push({ due: now + this.latencyMs, to, frame });
    this.scheduleLine();
  }

  private scheduleLine(): void {
    if (this.lineTimer || this.lineHead >= this.line.length) return;
    this.lineTimer = true;
    this.o.clock.at(this.line[this.lineHead].due, () => {
      this.lineTimer = false;
      const now = this.o.clock.now();
      while (this.lineHead < this.line.length && this.line[this.lineHead].due <= now + DUE_SLACK_MS) {
        const f = this.line[this.lineHead];
        this.line[this.lineHead++] = undefined as unknown as InFlight<F>;
        if (this.queues.has(f.to)) this.o.deliver(f.to, f.frame);
      }
      if (this.lineHead > 1024 && this.lineHead * 2 > this.line.length) {
        this.line.splice(0, this.lineHead);
        this.lineHead = 0;
      }
      this.scheduleLine();
    });
  }
}
