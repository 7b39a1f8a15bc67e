import type { PeerId } from '@starling/core';
import type { Transport } from '@starling/transport';

export interface LinkCounters {
  framesSent: number;
  /** Of framesSent, those handed to the unreliable channel (loss injection drops among these). */
  unreliableSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Unreliable frames dropped on purpose by loss injection. */
  injectedDrops: number;
  /** Unreliable frames skipped because the link was backed up. */
  backpressureSkips: number;
  /** Frames the remote says it sent us minus what arrived: network loss plus its injected drops. */
  framesLost: number;
}

/** What a link needs to know beyond its transport. */
export interface LinkOptions {
  /**
   * Skip an unreliable envelope (not an R-FAST slot) while the transport buffers more than this:
   * fresh state later beats stale state queued now.
   */
  unreliableHighWaterBytes: number;
  /** Injected drops so far, read from the loss injector under this link (LossyTransport). */
  injectedDrops: () => number;
}

export interface LinkEvents {
  open(): void;
  close(reason: string): void;
  frame(bytes: Uint8Array, reliable: boolean): void;
  control(text: string): void;
  drain(): void;
}

/**
 * One neighbour, over any Transport (WebRTC, possibly behind the shaped uplink and the loss
 * injector): counts what goes each way, remembers when the remote was last heard, and turns the
 * remote's heartbeat into an exact loss count.
 */
export class Link {
  readonly counters: LinkCounters = {
    framesSent: 0, unreliableSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0,
    injectedDrops: 0, backpressureSkips: 0, framesLost: 0,
  };
  /** Unreliable frames we handed to the transport (the remote compares it with what it got). */
  unreliableAttempts = 0;
  /** Unreliable frames received (compared with the remote's heartbeat count). */
  unreliableReceived = 0;
  /**
   * Last time anything arrived from the remote (ms, runtime clock), moved on by the time this
   * peer itself was stalled (`excuse`): the time-out counts only the remote's silence.
   */
  lastHeard: number;
  readonly openedAt: number;

  constructor(
    readonly remote: PeerId,
    readonly initiator: boolean,
    readonly transport: Transport,
    private readonly opts: LinkOptions,
    events: LinkEvents,
    private readonly now: () => number,
  ) {
    this.lastHeard = now();
    this.openedAt = now();
    transport.listen({
      open: () => events.open(),
      close: (reason) => events.close(reason),
      frame: (bytes, reliable) => {
        this.lastHeard = this.now();
        this.counters.framesReceived++;
        this.counters.bytesReceived += bytes.byteLength;
        if (!reliable) this.unreliableReceived++;
        events.frame(bytes, reliable);
      },
      control: (text) => {
        this.lastHeard = this.now();
        this.counters.framesReceived++;
        this.counters.bytesReceived += text.length;
        events.control(text);
      },
      drain: () => events.drain(),
    });
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** Bytes waiting on the unreliable path. */
  get unreliableBuffered(): number {
    return this.transport.buffered;
  }

  /** May an R-FAST slot frame go now (the transport at or below its low-water mark)? */
  get takesSlot(): boolean {
    return this.transport.isOpen && this.transport.buffered <= this.transport.lowWater;
  }

  /**
   * Send on the lossy path. False when the frame was not handed over (link not open, backed up):
   * the algorithm treats that exactly like a lost packet.
   */
  sendUnreliable(bytes: Uint8Array): boolean {
    if (!this.transport.isOpen) return false;
    if (this.transport.buffered > this.opts.unreliableHighWaterBytes) {
      this.counters.backpressureSkips++;
      return false;
    }
    if (!this.transport.sendUnreliable(bytes)) return false;
    this.unreliableAttempts++;
    this.counters.framesSent++;
    this.counters.unreliableSent++;
    this.counters.bytesSent += bytes.byteLength;
    this.counters.injectedDrops = this.opts.injectedDrops();
    return true;
  }

  /** Send on the ordered reliable path; the transport copies, so callers may reuse `data`. */
  sendReliable(data: Uint8Array | string): void {
    this.transport.sendReliable(data);
    this.counters.framesSent++;
    this.counters.bytesSent += typeof data === 'string' ? data.length : data.byteLength;
  }

  /** This peer could not listen for `ms` (see Mesh.heartbeat): not the remote's silence. */
  excuse(ms: number): void {
    if (ms > 0) this.lastHeard = Math.min(this.now(), this.lastHeard + ms);
  }

  /** The remote's heartbeat says how many unreliable frames it sent us: the gap is loss. */
  noteRemoteSent(sent: number): void {
    this.counters.framesLost = Math.max(0, sent - this.unreliableReceived);
  }

  destroy(reason = 'closed locally'): void {
    this.transport.close(reason);
  }
}
