import type { PeerId } from '@starling/core';
import { RELIABLE_CHANNEL_ID, type PeerRuntimeTuning } from './config';

/** What a link needs: the runtime's tunables plus the run's channel settings. */
export interface LinkTuning extends PeerRuntimeTuning {
  /**
   * Skip an unreliable send when the channel already buffers this many bytes. R-FAST's running
   * sums make a skipped send a delayed one, so fresh state later beats stale state queued now.
   */
  unreliableHighWaterBytes: number;
  iceServers: RTCIceServer[];
}

/** The slice of a simple-peer instance the runtime uses (browser bundle and Node + wrtc alike). */
export interface RtcPeer {
  signal(data: unknown): void;
  send(data: Uint8Array | string): void;
  destroy(err?: Error): void;
  on(event: 'signal', cb: (data: unknown) => void): this;
  on(event: 'connect' | 'close', cb: () => void): this;
  on(event: 'data', cb: (data: Uint8Array) => void): this;
  on(event: 'error', cb: (err: Error) => void): this;
  readonly bufferSize: number;
  readonly connected: boolean;
  /** simple-peer's RTCPeerConnection: used to open the second, reliable channel. */
  readonly _pc: RTCPeerConnection;
}

export interface RtcPeerOptions {
  initiator: boolean;
  config: RTCConfiguration;
  channelConfig: RTCDataChannelInit;
  trickle: boolean;
}
export type CreatePeer = (opts: RtcPeerOptions) => RtcPeer;

export interface LinkCounters {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Unreliable frames dropped on purpose by loss injection. */
  injectedDrops: number;
  /** Unreliable frames skipped because the channel was backed up. */
  backpressureSkips: number;
  /** Frames the remote says it sent us minus what arrived: network loss plus its injected drops. */
  framesLost: number;
}

export interface LinkEvents {
  signal(data: unknown): void;
  open(): void;
  close(reason: string): void;
  frame(bytes: Uint8Array, reliable: boolean): void;
  control(text: string): void;
}

/**
 * One neighbour: an unreliable unordered channel (simple-peer's own, for R-FAST blocks) and a
 * negotiated reliable ordered channel on the same RTCPeerConnection (control and baselines).
 */
export class Link {
  readonly counters: LinkCounters = {
    framesSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0,
    injectedDrops: 0, backpressureSkips: 0, framesLost: 0,
  };
  /** Unreliable frames we tried to send (the remote compares it with what it got). */
  unreliableAttempts = 0;
  /** Unreliable frames received (compared with the remote's heartbeat count). */
  unreliableReceived = 0;
  /** Last time anything arrived from the remote (ms, runtime clock). */
  lastHeard: number;
  readonly openedAt: number;
  private readonly peer: RtcPeer;
  private readonly reliable: RTCDataChannel;
  private readonly queue: (Uint8Array | string)[] = [];
  private queuedBytes = 0;
  private closed = false;
  private unreliableOpen = false;
  private gotOffer = false;

  constructor(
    readonly remote: PeerId,
    readonly initiator: boolean,
    createPeer: CreatePeer,
    private readonly tuning: LinkTuning,
    private readonly events: LinkEvents,
    private readonly now: () => number,
  ) {
    this.lastHeard = now();
    this.openedAt = now();
    this.peer = createPeer({
      initiator,
      config: { iceServers: tuning.iceServers },
      channelConfig: { ordered: false, maxRetransmits: 0 },
      trickle: true,
    });
    this.reliable = this.peer._pc.createDataChannel('starling-ctrl', {
      negotiated: true,
      id: RELIABLE_CHANNEL_ID,
      ordered: true,
    });
    this.reliable.binaryType = 'arraybuffer';
    this.reliable.bufferedAmountLowThreshold = tuning.reliableHighWaterBytes / 2;
    this.reliable.onbufferedamountlow = () => this.flush();
    this.reliable.onopen = () => {
      this.flush();
      this.maybeOpen();
    };
    this.reliable.onmessage = (ev: MessageEvent) => this.onReliable(ev.data);
    this.reliable.onclose = () => this.fail('reliable channel closed');
    this.peer.on('signal', (d) => this.events.signal(d));
    this.peer.on('connect', () => {
      this.unreliableOpen = true;
      this.maybeOpen();
    });
    this.peer.on('data', (d) => {
      this.lastHeard = this.now();
      this.unreliableReceived++;
      this.counters.framesReceived++;
      this.counters.bytesReceived += d.byteLength;
      this.events.frame(d, false);
    });
    this.peer.on('close', () => this.fail('connection closed'));
    this.peer.on('error', (e) => this.fail(`connection error: ${e.message}`));
  }

  /** Bytes waiting in the unreliable channel's send buffer. */
  get unreliableBuffered(): number {
    return this.peer.bufferSize;
  }

  get isOpen(): boolean {
    return this.unreliableOpen && this.reliable.readyState === 'open' && !this.closed;
  }

  /** A second offer on a link that already took one: the remote gave up and started over. */
  isStale(data: unknown): boolean {
    return this.gotOffer && isOffer(data);
  }

  /** Feed a signaling message (offer, answer, candidate) relayed by the server. */
  signal(data: unknown): void {
    if (this.closed) return;
    if (isOffer(data)) this.gotOffer = true;
    try {
      this.peer.signal(data);
    } catch (e) {
      this.fail(`bad signal: ${(e as Error).message}`);
    }
  }

  /**
   * Send on the lossy channel. Returns false when the frame was not handed to the channel
   * (link not open, backpressure); the algorithm treats that exactly like a lost packet.
   */
  sendUnreliable(bytes: Uint8Array, injectDrop: boolean): boolean {
    if (!this.isOpen) return false;
    if (this.peer.bufferSize > this.tuning.unreliableHighWaterBytes) {
      this.counters.backpressureSkips++;
      return false;
    }
    this.unreliableAttempts++;
    if (injectDrop) {
      this.counters.injectedDrops++;
      return false;
    }
    try {
      this.peer.send(bytes);
    } catch (e) {
      this.fail(`send failed: ${(e as Error).message}`);
      return false;
    }
    this.counters.framesSent++;
    this.counters.bytesSent += bytes.byteLength;
    return true;
  }

  /**
   * Send on the ordered reliable channel. The channel copies synchronously, so callers may
   * reuse `data`'s buffer; our own queue (used while the channel is closed or full) copies.
   */
  sendReliable(data: Uint8Array | string): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.reliable.readyState === 'open' &&
        this.reliable.bufferedAmount < this.tuning.reliableHighWaterBytes) {
      this.rawSend(data);
      return;
    }
    const item = typeof data === 'string' ? data : data.slice();
    this.queue.push(item);
    this.queuedBytes += typeof item === 'string' ? item.length : item.byteLength;
    if (this.queuedBytes > this.tuning.reliableQueueMaxBytes) this.fail('reliable queue overflow');
  }

  /** The remote's heartbeat says how many unreliable frames it sent us: the gap is loss. */
  noteRemoteSent(sent: number): void {
    this.counters.framesLost = Math.max(0, sent - this.unreliableReceived);
  }

  destroy(reason = 'closed locally'): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    try {
      this.reliable.close();
    } catch {
      /* already closed */
    }
    this.peer.destroy();
    this.events.close(reason);
  }

  private maybeOpen(): void {
    if (this.isOpen) this.events.open();
  }

  private rawSend(data: Uint8Array | string): void {
    try {
      // The DOM typings want an ArrayBuffer-backed view; frames always are.
      this.reliable.send(data as Uint8Array<ArrayBuffer>);
    } catch (e) {
      this.fail(`reliable send failed: ${(e as Error).message}`);
      return;
    }
    this.counters.framesSent++;
    this.counters.bytesSent += typeof data === 'string' ? data.length : data.byteLength;
  }

  private flush(): void {
    while (this.queue.length > 0 && this.reliable.readyState === 'open' &&
           this.reliable.bufferedAmount < this.tuning.reliableHighWaterBytes) {
      const item = this.queue.shift()!;
      this.queuedBytes -= typeof item === 'string' ? item.length : item.byteLength;
      this.rawSend(item);
    }
  }

  private onReliable(data: unknown): void {
    this.lastHeard = this.now();
    this.counters.framesReceived++;
    if (typeof data === 'string') {
      this.counters.bytesReceived += data.length;
      this.events.control(data);
    } else if (data instanceof ArrayBuffer) {
      this.counters.bytesReceived += data.byteLength;
      this.events.frame(new Uint8Array(data), true);
    }
  }

  private fail(reason: string): void {
    this.destroy(reason);
  }
}

function isOffer(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'offer';
}
