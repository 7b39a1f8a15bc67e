/**
 * The simulator's view of its peers. Per-peer state touched on every delivery (liveness, traffic
 * counters) lives in flat typed arrays indexed by peer id: a large run delivers tens of millions of
 * messages to peers in random order, and compact arrays keep those accesses in cache. The rest
 * (the algorithm object, timing) lives in one PeerRuntime object per peer.
 */
import type { Algorithm, PeerId, Rng } from '@starling/core';
import type { SendScheduler, Uplink } from '@starling/transport';
import type { DeliverEvent } from './deliveries';

/** A frame waiting in a peer's shaped uplink: already copied (the algorithm's payload was a view). */
export interface UplinkFrame {
  ev: DeliverEvent;
  reliable: boolean;
}

/** Traffic counters of one peer. Sent/dropped/discarded are counted at the sender, delivered at the receiver. */
export interface TrafficCounters {
  /** Messages the algorithm handed to the network, skipped ones included. */
  messagesSent: number;
  /** Of those, reliable ones (acknowledgements, pace frames, synchronous baselines' rounds): loss never drops them. */
  reliableSent: number;
  /** Bytes put on the wire (header included); skipped messages never left the peer and are not counted. */
  bytesSent: number;
  messagesDelivered: number;
  bytesDelivered: number;
  /** Lost by the network (unreliable envelopes only; reliable ones are retransmitted). */
  messagesDropped: number;
  /** Unreliable envelopes never transmitted because the link's send buffer was full. */
  messagesSkipped: number;
  /** Discarded because the sender or the receiver left before delivery (or was never alive). */
  messagesDiscarded: number;
  /** Extra attempts reliable messages needed under loss. */
  retransmits: number;
}

export class PeerTable {
  /**
   * Life counter per id: even while the peer is alive, odd while it is gone; it moves on at every
   * leave and rejoin. An event records the counter at scheduling time, and one comparison at firing
   * time says whether its peer is still the same live incarnation.
   */
  readonly life: Int32Array;
  readonly sent: Float64Array;
  readonly reliableSent: Float64Array;
  readonly bytesSent: Float64Array;
  readonly delivered: Float64Array;
  readonly bytesDelivered: Float64Array;
  readonly dropped: Float64Array;
  readonly skipped: Float64Array;
  readonly discarded: Float64Array;
  readonly retransmits: Float64Array;

  constructor(readonly size: number) {
    this.life = new Int32Array(size).fill(1); // every id starts "gone" until spawned
    this.sent = new Float64Array(size);
    this.reliableSent = new Float64Array(size);
    this.bytesSent = new Float64Array(size);
    this.delivered = new Float64Array(size);
    this.bytesDelivered = new Float64Array(size);
    this.dropped = new Float64Array(size);
    this.skipped = new Float64Array(size);
    this.discarded = new Float64Array(size);
    this.retransmits = new Float64Array(size);
  }

  isAlive(id: PeerId): boolean {
    return (this.life[id] & 1) === 0;
  }

  traffic(id: PeerId): TrafficCounters {
    return {
      messagesSent: this.sent[id],
      reliableSent: this.reliableSent[id],
      bytesSent: this.bytesSent[id],
      messagesDelivered: this.delivered[id],
      bytesDelivered: this.bytesDelivered[id],
      messagesDropped: this.dropped[id],
      messagesSkipped: this.skipped[id],
      messagesDiscarded: this.discarded[id],
      retransmits: this.retransmits[id],
    };
  }

  totals(): TrafficCounters {
    const t = this.traffic(0);
    for (let id = 1; id < this.size; id++) {
      t.messagesSent += this.sent[id];
      t.reliableSent += this.reliableSent[id];
      t.bytesSent += this.bytesSent[id];
      t.messagesDelivered += this.delivered[id];
      t.bytesDelivered += this.bytesDelivered[id];
      t.messagesDropped += this.dropped[id];
      t.messagesSkipped += this.skipped[id];
      t.messagesDiscarded += this.discarded[id];
      t.retransmits += this.retransmits[id];
    }
    return t;
  }
}

export class PeerRuntime {
  computing = false;
  /** Reached the step budget of the run; still receives, never steps again. */
  finished = false;
  /** Virtual time it started waiting for `ready()`, or NaN when not waiting. */
  blockedSince = Number.NaN;
  blockedTime = 0;
  /** Completed steps (applyGradient calls) over all incarnations. */
  steps = 0;
  joinedAt: number;
  leftAt = Number.NaN;
  /** The newest-wins send scheduler of an algorithm with slots (R-FAST), else null. */
  scheduler: SendScheduler | null = null;
  /** The peer's shaped uplink (network.uplink), else null. */
  uplink: Uplink<UplinkFrame> | null = null;
  /** Unshaped links with a drain timer already scheduled (by destination). */
  readonly draining = new Set<PeerId>();

  constructor(
    readonly id: PeerId,
    private readonly table: PeerTable,
    public algo: Algorithm,
    /** Gradient buffer, reused every step. */
    readonly grad: Float32Array,
    /** Minibatch sampling stream of this peer. */
    readonly rng: Rng,
    now: number,
  ) {
    this.joinedAt = now;
    table.life[id]++; // odd -> even: alive
  }

  get alive(): boolean {
    return this.table.isAlive(this.id);
  }

  /** Current life counter; events remember it to recognise a peer that left in the meantime. */
  get life(): number {
    return this.table.life[this.id];
  }

  /** Stops the blocked-time clock, if it is running. */
  unblock(now: number): void {
    if (!Number.isNaN(this.blockedSince)) {
      this.blockedTime += now - this.blockedSince;
      this.blockedSince = Number.NaN;
    }
  }

  /** Blocked time up to `now`, counting a wait still in progress. */
  blockedUntil(now: number): number {
    return Number.isNaN(this.blockedSince) ? this.blockedTime : this.blockedTime + (now - this.blockedSince);
  }

  block(now: number): void {
    if (Number.isNaN(this.blockedSince)) this.blockedSince = now;
  }

  leave(now: number): void {
    this.unblock(now);
    this.computing = false;
    this.table.life[this.id]++; // even -> odd: gone; its pending events no longer match
    this.leftAt = now;
  }

  /** A peer that left comes back with a fresh algorithm object (all its state was lost). */
  rejoin(algo: Algorithm, now: number): void {
    this.algo = algo;
    this.table.life[this.id]++; // odd -> even
    this.computing = false;
    this.joinedAt = now;
    this.leftAt = Number.NaN;
  }
}
