import { MsgKind, type Algorithm, type Envelope, type Message, type PeerId } from '@starling/core';
import { SendScheduler } from '@starling/transport';
import { decodeFrame, encodeFrame, FrameError } from '@starling/wire';
import type { Mesh } from './mesh';

export interface FrameCounters {
  /** Frames that failed the wire checks or claimed another sender. */
  framesRejected: number;
  /**
   * Unreliable frames that arrived before this peer had an algorithm (still downloading: a later
   * running sum carries the same), or hand-off frames no longer awaited.
   */
  framesEarly: number;
  /** Reliable frames that arrived before the algorithm existed and were held for it. */
  framesHeld: number;
  /** Envelopes for a peer we have no open link to (it left, or is still connecting). */
  undeliverable: number;
  /** Messages the wire refused to encode (non-finite values: a diverging model is not sent). */
  unencodable: number;
}

/** Prime step between rotation starts, so consecutive steps begin far apart. */
const ROTATION_STRIDE = 7919;

/**
 * Moves algorithm envelopes onto links and incoming frames into the algorithm. This is the
 * trust boundary for peer data: every frame is decoded by the hand-checked wire format, and a
 * frame must name the sender of the link it arrived on. For an algorithm with slots (R-FAST) it
 * also runs the newest-wins send scheduler: after each of the algorithm's calls and whenever a link
 * drains, links that can take a frame get the freshest pending slot, encoded at that moment.
 */
export class FrameRouter {
  readonly counters: FrameCounters = { framesRejected: 0, framesEarly: 0, framesHeld: 0, undeliverable: 0, unencodable: 0 };
  private lastMsg: Message | null = null;
  private lastBytes: Uint8Array | null = null;

  /** Told of every valid data frame handed to the algorithm (for the staleness figure). */
  onData: ((from: PeerId) => void) | null = null;
  /** Receives ModelHandoff frames (runtime traffic, not the algorithm's). */
  onHandoff: ((msg: Message) => void) | null = null;

  /**
   * Reliable frames that came before the algorithm: synchronous baselines count on every one of
   * them (a lost reliable frame is a deadlock), so they wait here, bounded, and replay in order.
   */
  private held: Message[] = [];
  private rotation = 0;
  private heldBytes = 0;

  private readonly scheduler: SendScheduler;

  constructor(
    private readonly mesh: Mesh,
    private readonly algorithm: () => Algorithm | null,
    private readonly onRejected?: (from: PeerId, reason: string) => void,
    private readonly maxHeldBytes = 64 << 20,
  ) {
    this.scheduler = new SendScheduler({
      ready: (to) => this.mesh.link(to)?.takesSlot ?? false,
      send: (env) => this.sendOne(env),
    });
  }

  /** Let links that can take a frame send the algorithm's freshest pending slots. */
  pump(): void {
    const slots = this.algorithm()?.slots;
    if (slots) this.scheduler.pump(slots);
  }

  /** Hand the held reliable frames to the algorithm, now that it exists. */
  replayHeld(): void {
    const algo = this.algorithm();
    if (!algo) return;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const msg of held) this.send(algo.receive(msg));
  }

  send(out: Envelope[]): void {
    // Reliable envelopes keep their order (the algorithms rely on FIFO per link). Unreliable ones
    // start at a rotating position: when backpressure cuts a step's sends short, a fixed order
    // would starve the same tail blocks every step, a rotating one spreads the skips evenly.
    const n = out.length;
    const start = n > 0 ? (this.rotation = (this.rotation + ROTATION_STRIDE) % n) : 0;
    for (let i = 0; i < n; i++) if (out[i].reliable) this.sendOne(out[i]);
    for (let k = 0; k < n; k++) {
      const env = out[(start + k) % n];
      if (!env.reliable) this.sendOne(env);
    }
    // Payloads are views into algorithm state: never keep an encoding across calls.
    this.lastMsg = null;
    this.lastBytes = null;
    this.pump();
  }

  private sendOne(env: Envelope): void {
    const link = this.mesh.link(env.to);
    if (!link || (!env.reliable && !link.isOpen)) {
      this.counters.undeliverable++;
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.encode(env.msg);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.counters.unencodable++;
      return;
    }
    if (env.reliable) link.sendReliable(bytes);
    else link.sendUnreliable(bytes);
  }

  receive(from: PeerId, bytes: Uint8Array, reliable = false): void {
    let msg: Message;
    try {
      msg = decodeFrame(bytes);
    } catch (e) {
      this.counters.framesRejected++;
      this.onRejected?.(from, e instanceof FrameError ? e.message : String(e));
      return;
    }
    if (msg.from !== from) {
      this.counters.framesRejected++;
      this.onRejected?.(from, `frame claims sender ${msg.from} but arrived from ${from}`);
      return;
    }
    if (msg.kind === MsgKind.ModelHandoff) {
      if (this.onHandoff) this.onHandoff(msg);
      else this.counters.framesEarly++; // a copy we no longer wait for
      return;
    }
    const algo = this.algorithm();
    if (algo) {
      // Acknowledgements and pace frames carry no model: they must not make a neighbour look fresh.
      if (msg.data.length > 0) this.onData?.(from);
      this.send(algo.receive(msg));
    } else if (reliable && this.heldBytes + msg.data.byteLength <= this.maxHeldBytes) {
      // decodeFrame's payload may be a view into `bytes`, which is ours alone: no copy needed.
      this.held.push(msg);
      this.heldBytes += msg.data.byteLength;
      this.counters.framesHeld++;
    } else {
      this.counters.framesEarly++;
    }
  }

  /** The same block often goes to several neighbours in a row (as separate messages): encode it once. */
  private encode(msg: Message): Uint8Array {
    if (!this.lastBytes || !sameFrame(msg, this.lastMsg!)) {
      this.lastBytes = encodeFrame(msg);
      this.lastMsg = msg;
    }
    return this.lastBytes;
  }
}

function sameFrame(a: Message, b: Message): boolean {
  return a === b || (a.data === b.data && a.kind === b.kind && a.from === b.from && a.epoch === b.epoch &&
    a.seq === b.seq && a.block === b.block && a.offset === b.offset && a.aux === b.aux &&
    a.dtype === b.dtype && a.scale === b.scale && a.base === b.base && a.keep === b.keep);
}
