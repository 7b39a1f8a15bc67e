/**
 * The WebRTC implementation of a Transport: one RTCPeerConnection per neighbour, set up and
 * signalled by simple-peer, with two negotiated data channels of our own: an unreliable unordered
 * one (`ordered: false, maxRetransmits: 0`) for R-FAST's blocks and a reliable ordered one for
 * control JSON and the baselines' frames. simple-peer's own channel only tells us the connection is
 * up. We get the RTCPeerConnection through simple-peer's public `wrtc` option (a constructor that
 * records the instance it makes), never through its private fields.
 */
import type { PeerId } from '@starling/core';
import type { Transport, TransportEvents } from '@starling/transport';
import { RELIABLE_CHANNEL_ID, UNRELIABLE_CHANNEL_ID } from './config';
import { readLinkPath, type LinkPath } from './link-route';

/** The WebRTC classes simple-peer builds on: the browser's globals, or @roamhq/wrtc in Node. */
export interface WrtcImpl {
  RTCPeerConnection: unknown;
  RTCSessionDescription: unknown;
  RTCIceCandidate: unknown;
}

/** The slice of a simple-peer instance the runtime uses (browser bundle and Node + wrtc alike). */
export interface RtcPeer {
  signal(data: unknown): void;
  destroy(err?: Error): void;
  on(event: 'signal', cb: (data: unknown) => void): this;
  on(event: 'connect' | 'close', cb: () => void): this;
  on(event: 'error', cb: (err: Error) => void): this;
  /** simple-peer's report of the ICE connection state (and the gathering state, unused here). */
  on(event: 'iceStateChange', cb: (iceConnectionState: string) => void): this;
}

export interface RtcPeerOptions {
  initiator: boolean;
  config: RTCConfiguration;
  channelConfig: RTCDataChannelInit;
  trickle: boolean;
  wrtc: WrtcImpl;
}
export type CreatePeer = (opts: RtcPeerOptions) => RtcPeer;

export interface WebRtcTuning {
  /** ICE servers (with the TURN credentials current when the link opens) and the transport policy ('relay': TURN only). */
  rtc: RTCConfiguration;
  /** Above this many buffered bytes, reliable frames wait in our own queue (Chromium throws at ~16 MiB). */
  reliableHighWaterBytes: number;
  /** A link whose own reliable queue grows past this is declared failed rather than eat memory. */
  reliableQueueMaxBytes: number;
  /** `lowWater` of the unreliable channel: its bufferedamountlow threshold. */
  unreliableLowWaterBytes: number;
  /** How long a closed link's connection lives on after its goodbye (see `close`). */
  closeGraceMs: number;
}

/**
 * The last message a link sends on its reliable channel before it closes. Not JSON, so it can
 * never be taken for a control message (those are JSON objects).
 */
export const GOODBYE = '\u0000bye';

/** The browser's (or the global polyfill's) WebRTC classes. */
export function globalWrtc(): WrtcImpl | undefined {
  const g = globalThis as unknown as Partial<WrtcImpl>;
  return g.RTCPeerConnection ? { RTCPeerConnection: g.RTCPeerConnection, RTCSessionDescription: g.RTCSessionDescription, RTCIceCandidate: g.RTCIceCandidate } : undefined;
}

export class WebRtcTransport implements Transport {
  private readonly peer: RtcPeer;
  private readonly pc: RTCPeerConnection;
  private readonly unreliable: RTCDataChannel;
  private readonly reliable: RTCDataChannel;
  private readonly queue: (Uint8Array | string)[] = [];
  private queuedBytes = 0;
  private events: TransportEvents | null = null;
  private closed = false;
  private connected = false;
  private gotOffer = false;
  /** ICE says the path is down (it may come back): nothing is sent meanwhile. */
  private iceDown = false;
  // Each channel's state as its own events report it: in @roamhq/wrtc every readyState or
  // bufferedAmount read is a synchronous call into the WebRTC thread, and reading them per frame
  // took half of a headless peer's CPU (profiled: 37% readyState, 10% bufferedAmount), leaving it
  // at 9 steps/s with one neighbour against 165 alone.
  private unreliableOpen = false;
  private reliableOpen = false;
  private readonly unreliableGauge: BufferedGauge;
  private readonly reliableGauge: BufferedGauge;

  /** The route (host / srflx / relay) and round-trip time of the candidate pair in use; null before it connects. */
  path(): Promise<LinkPath | null> {
    return this.closed ? Promise.resolve(null) : readLinkPath(this.pc);
  }

  constructor(
    readonly remote: PeerId,
    readonly initiator: boolean,
    createPeer: CreatePeer,
    wrtc: WrtcImpl,
    private readonly tuning: WebRtcTuning,
    onSignal: (data: unknown) => void,
  ) {
    let made: RTCPeerConnection | null = null;
    const Base = wrtc.RTCPeerConnection as new (cfg?: RTCConfiguration) => RTCPeerConnection;
    // Called with `new` by simple-peer: returning an object from a constructor makes that the result.
    function Recording(cfg?: RTCConfiguration): RTCPeerConnection {
      made = new Base(cfg);
      return made;
    }
    this.peer = createPeer({
      initiator,
      config: tuning.rtc,
      channelConfig: { ordered: false, maxRetransmits: 0 },
      trickle: true,
      wrtc: { ...wrtc, RTCPeerConnection: Recording },
    });
    if (made === null) throw new Error('simple-peer did not create its RTCPeerConnection through the wrtc option');
    this.pc = made;
    this.unreliable = this.channel('starling-data', UNRELIABLE_CHANNEL_ID, { ordered: false, maxRetransmits: 0 });
    this.unreliableGauge = new BufferedGauge(this.unreliable);
    this.unreliable.bufferedAmountLowThreshold = tuning.unreliableLowWaterBytes;
    this.unreliable.onbufferedamountlow = () => this.events?.drain();
    this.unreliable.onmessage = (ev: MessageEvent) => {
      if (!this.closed && ev.data instanceof ArrayBuffer) this.events?.frame(new Uint8Array(ev.data), false);
    };
    this.reliable = this.channel('starling-ctrl', RELIABLE_CHANNEL_ID, { ordered: true });
    this.reliableGauge = new BufferedGauge(this.reliable);
    this.reliable.bufferedAmountLowThreshold = tuning.reliableHighWaterBytes / 2;
    this.reliable.onbufferedamountlow = () => this.flush();
    this.reliable.onmessage = (ev: MessageEvent) => this.onReliable(ev.data);
    this.peer.on('signal', onSignal);
    this.peer.on('connect', () => {
      this.connected = true;
      this.maybeOpen();
    });
    this.peer.on('close', () => this.close('connection closed'));
    this.peer.on('error', (e) => this.close(`connection error: ${e.message}`));
    // While ICE has lost the path, the connection may be closing under us (see `close`): hold
    // everything until it is back.
    this.peer.on('iceStateChange', (state) => {
      this.iceDown = state === 'disconnected' || state === 'failed';
      if (!this.iceDown) this.flush();
    });
  }

  get isOpen(): boolean {
    return this.connected && !this.closed && !this.iceDown && this.unreliableOpen && this.reliableOpen;
  }

  get buffered(): number {
    return this.closed ? 0 : this.unreliableGauge.read();
  }

  get lowWater(): number {
    return this.tuning.unreliableLowWaterBytes;
  }

  listen(events: TransportEvents): void {
    this.events = events;
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
      this.close(`bad signal: ${(e as Error).message}`);
    }
  }

  sendUnreliable(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    try {
      this.unreliable.send(bytes as Uint8Array<ArrayBuffer>);
      this.unreliableGauge.sent(bytes.byteLength);
      return true;
    } catch (e) {
      this.close(`send failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** The channel copies synchronously; our own queue (used while it is closed or full) copies too. */
  sendReliable(data: Uint8Array | string): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.reliableOpen && !this.iceDown && this.reliableGauge.read() < this.tuning.reliableHighWaterBytes) {
      this.rawSend(data);
      return;
    }
    const item = typeof data === 'string' ? data : data.slice();
    this.queue.push(item);
    this.queuedBytes += typeof item === 'string' ? item.length : item.byteLength;
    if (this.queuedBytes > this.tuning.reliableQueueMaxBytes) this.close('reliable queue overflow');
  }

  /**
   * Stops sending at once (reliable frames still in our own queue are dropped) and tells the
   * remote with a goodbye on the reliable channel, then tears the connection down closeGraceMs later. The delay is for Node:
   * in @roamhq/wrtc a data channel that closes because its remote closed clears its native handle
   * on the WebRTC thread while the main thread may be inside send() on it, a use-after-null that
   * killed headless peers by SIGSEGV in rejoin storms (apps/cli/src/bench-link-storm.ts). With the
   * goodbye, the remote stops sending before our side of the connection goes away.
   */
  close(reason = 'closed locally', sayGoodbye = true): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (sayGoodbye && this.reliableOpen && !this.iceDown) {
      try {
        this.reliable.send(GOODBYE);
      } catch {
        /* the channel is going anyway */
      }
    }
    const teardown = setTimeout(() => this.teardown(), this.tuning.closeGraceMs);
    // A grace timer must not keep a Node process that is otherwise done alive.
    (teardown as { unref?: () => void }).unref?.();
    this.events?.close(reason);
  }

  private teardown(): void {
    for (const ch of [this.unreliable, this.reliable]) {
      try {
        ch.close();
      } catch {
        /* already closed */
      }
    }
    this.peer.destroy();
  }

  private channel(label: string, id: number, init: RTCDataChannelInit): RTCDataChannel {
    const ch = this.pc.createDataChannel(label, { ...init, negotiated: true, id });
    ch.binaryType = 'arraybuffer';
    ch.onopen = () => {
      if (id === RELIABLE_CHANNEL_ID) {
        this.reliableOpen = true;
        this.flush();
      } else this.unreliableOpen = true;
      this.maybeOpen();
    };
    ch.onclose = () => {
      if (id === RELIABLE_CHANNEL_ID) this.reliableOpen = false;
      else this.unreliableOpen = false;
      this.close(`${label} channel closed`);
    };
    return ch;
  }

  private maybeOpen(): void {
    if (this.isOpen) this.events?.open();
  }

  private rawSend(data: Uint8Array | string): void {
    try {
      this.reliable.send(data as Uint8Array<ArrayBuffer>);
      this.reliableGauge.sent(typeof data === 'string' ? data.length : data.byteLength);
    } catch (e) {
      this.close(`reliable send failed: ${(e as Error).message}`);
    }
  }

  private flush(): void {
    while (this.queue.length > 0 && this.reliableOpen && !this.iceDown && !this.closed && this.reliableGauge.read() < this.tuning.reliableHighWaterBytes) {
      const item = this.queue.shift()!;
      this.queuedBytes -= typeof item === 'string' ? item.length : item.byteLength;
      this.rawSend(item);
    }
  }

  private onReliable(data: unknown): void {
    if (this.closed) return;
    if (data === GOODBYE) this.close('the remote closed the link', false);
    else if (typeof data === 'string') this.events?.control(data);
    else if (data instanceof ArrayBuffer) this.events?.frame(new Uint8Array(data), true);
  }
}

/**
 * A channel's bufferedAmount read at most once per event-loop job (see the open flags above for
 * why). Within one job the amount can only fall by what the WebRTC thread drained meanwhile, so
 * the cached figure plus what we sent is an upper bound: backpressure decisions stay on the safe side.
 */
class BufferedGauge {
  private cached = -1;

  constructor(private readonly ch: RTCDataChannel) {}

  read(): number {
    if (this.cached < 0) {
      this.cached = this.ch.bufferedAmount;
      queueMicrotask(() => (this.cached = -1));
    }
    return this.cached;
  }

  sent(bytes: number): void {
    if (this.cached >= 0) this.cached += bytes;
  }
}

function isOffer(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'offer';
}
