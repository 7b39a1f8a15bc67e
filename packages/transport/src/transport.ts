import type { PeerId } from '@starling/core';

/** What a transport tells its owner. */
export interface TransportEvents {
  /** Both paths (unreliable and reliable) are open. */
  open(): void;
  close(reason: string): void;
  /** A binary frame arrived (not yet decoded or validated). */
  frame(bytes: Uint8Array, reliable: boolean): void;
  /** A text (control) message arrived on the reliable path. */
  control(text: string): void;
  /** `buffered` fell to `lowWater` or below: the sender may queue more. */
  drain(): void;
}

/**
 * One link to one neighbour: an unreliable path (frames may be lost, duplicated or reordered; what
 * R-FAST's blocks need) and a reliable ordered one (control messages and the baselines' frames).
 * WebRTC data channels are one implementation (packages/peer); ShapedTransport wraps any of them
 * in a peer's shared uplink; the simulator models the same contract in virtual time.
 */
export interface Transport {
  readonly remote: PeerId;
  readonly isOpen: boolean;
  /** Bytes handed to the unreliable path and not yet on the wire. */
  readonly buffered: number;
  /** A sender that wants fresh frames queues one only while `buffered <= lowWater`; `drain` says when. */
  readonly lowWater: number;
  /** False when the frame was not taken (closed): the caller treats it like a lost frame. */
  sendUnreliable(bytes: Uint8Array): boolean;
  /** Queued until delivered, in order; copied, so the caller may reuse `data`. */
  sendReliable(data: Uint8Array | string): void;
  close(reason?: string): void;
  /** Sends events to `events` from now on (a wrapper listens to the transport it wraps). */
  listen(events: TransportEvents): void;
}
