/**
 * The one contract every algorithm implements, so a runtime (browser peer, Node peer, simulator)
 * can drive any of them without knowing which it is.
 *
 * Driving loop, in any runtime:
 *
 *   if (algo.ready()) {
 *     send(algo.beginStep());              // AD-PSGD starts its handshake here; most return []
 *     const at = algo.params();            // parameters to compute the gradient at
 *     const g = await gradient(at);        // the only slow part; the runtime may keep receiving
 *     send(algo.applyGradient(g));
 *   }
 *   on message m:  send(algo.receive(m));
 *
 * The algorithm never waits and never touches I/O: "waiting" for a synchronous algorithm is simply
 * `ready() === false` until its round's messages have arrived.
 */
export type { AlgorithmName } from './registry';
import type { SenderEvidence } from './robust-evidence';

/** Index of a peer in the run, 0..n-1 (stable for the peer's lifetime in the run). */
export type PeerId = number;

/**
 * What a message carries. Numeric so it fits the wire header in one byte. Each algorithm uses
 * its own kinds; the receiver dispatches on it.
 */
export const MsgKind = {
  /** R-FAST: a block of v_j (float32), pulled along G_R. */
  RfastV: 1,
  /** R-FAST: a block of the running sum rho (float64), pushed along G_C. */
  RfastRho: 2,
  /** Naive R-FAST variant: a block of the pushed increment (float64). For tests/benchmarks only. */
  NaiveDelta: 3,
  /**
   * R-FAST, reliable: the receiver keeps the RfastRho value of `seq` (a frame sent with `keep`) as
   * its base for `block`; the sender may now send running sums as deltas against it. No payload.
   */
  RfastAck: 4,
  /**
   * R-FAST, reliable: the sender has taken `seq` steps. Each peer sends one to its in-neighbours
   * every step, so they send it no faster than it can use (receiver pacing, rfast-pace.ts). No
   * payload.
   */
  RfastPace: 5,
  /** AllReduce: a segment block during reduce-scatter (float32). */
  ArReduce: 10,
  /** AllReduce: a segment block during all-gather (float32). */
  ArGather: 11,
  /** D-PSGD: a block of x_j for round `seq` (float32). */
  DpsgdModel: 20,
  /** AD-PSGD: active peer's averaging request, a block of its x (float32). */
  AdRequest: 30,
  /** AD-PSGD: passive peer's reply, a block of its pre-averaging x (float32). */
  AdReply: 31,
  /** SGP/OSGP push-sum: a block of the pushed numerator share; `aux` holds the weight share. */
  PushSum: 40,
  /** Gossip local SGD: a block of the sender's model (float32); `aux` holds the sender's version. */
  GossipModel: 50,
  /** Gossip local SGD: the sender's version vector (float64, one entry per peer). */
  GossipVersions: 51,
  /**
   * Not an algorithm message: a block of a peer's model x (float32) handed to a joiner over the
   * reliable channel, so the joiner starts where the run is instead of dragging it back to x0
   * (algorithms.md 1.6). `seq` is the joiner's request id.
   */
  ModelHandoff: 60,
} as const;
export type MsgKind = (typeof MsgKind)[keyof typeof MsgKind];

/**
 * Payload element type; the wire format encodes it in the header. Float32Array and Float64Array
 * hold the values themselves; Uint16Array (float16 or bfloat16 codes), Int8Array (int8 codes) and
 * Uint8Array (int4 codes, two per byte) are the compact encodings of docs/algorithms.md 1.7,
 * decoded as code * `scale` (see quantize.ts). An int4 payload's length is in bytes: the block it
 * carries, which the receiver knows from its layout, says how many codes it holds.
 */
export type Payload = Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array;

/** How a payload encodes its values; the wire's dtype byte. */
export const Dtype = { F32: 1, F64: 2, F16: 3, BF16: 4, I8: 5, I4: 6 } as const;
export type Dtype = (typeof Dtype)[keyof typeof Dtype];

/**
 * One message: a block of one vector (or a small control payload). Every field but `data` maps to
 * a fixed-size wire header field.
 */
export interface Message {
  kind: MsgKind;
  /** Sender. */
  from: PeerId;
  /** Topology epoch the sender was in when it produced the message. */
  epoch: number;
  /** Sender's counter (step or round); the receiver keeps only the newest per (from, kind, block). */
  seq: number;
  /** Block index within the vector. */
  block: number;
  /** Index of the block's first coordinate in the full vector. */
  offset: number;
  /** One scalar side value (push-sum weight, gossip version, AllReduce hop, AD-PSGD request id). */
  aux: number;
  /**
   * Compact payloads only: Dtype.F16 or Dtype.BF16 for a Uint16Array, Dtype.I4 for a Uint8Array
   * (the array type alone does not say it). Absent: the array type says it.
   */
  dtype?: Dtype;
  /** Compact payloads: value = decoded code * scale (a finite float32 > 0). Absent = 1. */
  scale?: number;
  /**
   * Delta frames: the seq of an earlier frame of the same (sender, kind, block) that the receiver
   * acknowledged keeping; the value is that frame's value plus the payload. Absent: absolute.
   */
  base?: number;
  /** The receiver should keep this frame's value as a future base and acknowledge it (RfastAck). */
  keep?: boolean;
  /**
   * The block's values. A message *returned by* an algorithm may be a view into its state, valid
   * only until the next call into that algorithm: a transport that holds it must copy (encode) it
   * at once. A message *passed to* `receive` is owned by the algorithm only for that call.
   */
  data: Payload;
}

/** A message to send, with the delivery it needs. */
export interface Envelope {
  to: PeerId;
  /**
   * true: the algorithm is correct only if this arrives exactly once, in order per link
   * (send it on the reliable channel). false: loss, duplication and reordering are tolerated.
   */
  reliable: boolean;
  msg: Message;
}

/** Neighbour lists for one peer in one epoch. */
export interface PeerNeighbours {
  /** Model graph G_R: peers this peer pulls v from (its in-neighbours). */
  rIn: PeerId[];
  /** Model graph G_R: peers that pull from this peer (its out-neighbours; it sends V to them). */
  rOut: PeerId[];
  /** Tracker graph G_C: peers this peer receives running sums from. */
  cIn: PeerId[];
  /** Tracker graph G_C: peers this peer pushes tracker mass to. */
  cOut: PeerId[];
  /** Undirected neighbours for algorithms on undirected graphs (D-PSGD, AD-PSGD): rIn ∪ rOut. */
  undirected: PeerId[];
  /** All live peers of the epoch, ascending (AllReduce ring order, gossip targets, push-sum). */
  members: PeerId[];
}

/** Counters every algorithm keeps; the runtime reports them, the simulator records them. */
export interface AlgoStats {
  steps: number;
  messagesIn: number;
  /** Messages ignored: older epoch, stale seq, unknown sender, wrong size, non-finite values. */
  rejected: number;
  /** Messages older than what we already hold for that (from, kind, block); normal under reordering. */
  stale: number;
  /** Robust mixing: messages taken but clipped (or, for tracker mass, consumed at a bounded rate). */
  clipped?: number;
  /** Waits given up through `stalled()` (an AD-PSGD exchange whose replies did not come). */
  stalled?: number;
}

export interface Algorithm {
  /** Its registry name (registry.ts, AlgorithmName). */
  readonly name: string;
  readonly id: PeerId;
  /** Number of model parameters. */
  readonly dim: number;
  /** May the runtime start computing the next gradient now? */
  ready(): boolean;
  /** Called when the runtime starts a step (after `ready()`); returns messages to send. */
  beginStep(): Envelope[];
  /**
   * The runtime has waited on `ready()` longer than it allows (its stall limit) with nothing that
   * made it ready: give up what the algorithm waits for where that is safe, and return messages to
   * send. A neighbour that never answers (gone silent, or hostile) must not stop a peer for good,
   * and the algorithm has no clock to notice. Synchronous rounds wait by design and leave it out.
   */
  stalled?(): Envelope[];
  /** Parameters to compute the next gradient at. A view: valid until `applyGradient`. */
  params(): Float32Array;
  /** Feed the gradient computed at `params()`; performs the step; returns messages to send. */
  applyGradient(grad: Float32Array): Envelope[];
  /** Handle one incoming message; returns messages to send (replies, forwarded hops). */
  receive(msg: Message): Envelope[];
  /** The model to evaluate or publish (x_i, or x_i / w_i for push-sum). A view. */
  model(): Float32Array;
  /** Enter a new topology epoch (membership change). Returns messages to send. */
  setEpoch(epoch: number, neighbours: PeerNeighbours): Envelope[];
  /**
   * The topology changed within the epoch: a peer joined and was attached here (topology-grow's
   * attachJoiner), or the peers in `departed` left the run and their neighbours were linked to
   * each other (detachLeaver). Only links to departed peers go away; every kept link keeps its
   * state. Only algorithms whose descriptor says `joins: 'grow'` have it; the others hear of every
   * join and leave as a new epoch.
   */
  grow?(neighbours: PeerNeighbours, departed?: readonly PeerId[]): Envelope[];
  /**
   * Which neighbours' links are open now (null: all), from a runtime that knows; called whenever
   * that changes. R-FAST pushes tracker mass only along open links, so none waits on a link that
   * never opens.
   */
  linksOpen?(open: ReadonlySet<PeerId> | null): void;
  /**
   * Slot algorithms (R-FAST): change the send budget, the share of its slots that may leave per
   * step, in (0, 1] (1: none). A runtime that sees frames cost its peer compute time (the
   * browser's WebRTC stack on busy cores) lowers it; the run's `sendShare` option is the start.
   */
  setSendShare?(share: number): void;
  /** Replace the model, e.g. a joiner copying a neighbour's x or a checkpoint. */
  loadModel(x: Float32Array): void;
  stats(): AlgoStats;
  /**
   * Which implementation runs the hot loops: 'simd' (WebAssembly) or 'js'. Both compute the same
   * values; algorithms without a choice leave this out.
   */
  kernelKind?(): 'simd' | 'js';
  /** Present when the algorithm's unreliable traffic is pulled per slot (see SlotSource). */
  readonly slots?: SlotSource;
  /**
   * Tracker algorithms (R-FAST): this peer's share of the mass-in-transit estimate, the L1 norm of
   * what it pushed that its receivers have not yet acknowledged, and the L1 norm of its latest
   * gradient; null when the encoding carries no acknowledgements.
   */
  transitEstimate?(): { transit: number; gradient: number } | null;
  /**
   * Per-sender evidence of hostile frames (refused for magnitude or a seq jump, clipped by robust
   * mixing), a copy; the runtime reports it so the server can flag the sender (issue 13).
   */
  senderEvidence?(): Map<PeerId, SenderEvidence>;
  /**
   * Tracker algorithms (R-FAST): live views of the tracker z and of the gradient g last fed into it.
   * A simulator that sees every peer computes the exact mass in transit from them: sum g - sum z.
   */
  tracker?(): { z: Float64Array; g: Float32Array };
}

/** Options shared by every algorithm. */
export interface CommonOptions {
  id: PeerId;
  /** Initial model x0 (copied). */
  x0: Float32Array;
  /** Step size (learning rate). */
  lr: number;
  /** Coordinates per message block (the wire's chunk size). */
  blockSize: number;
  epoch: number;
  neighbours: PeerNeighbours;
  /** Seed for any randomness the algorithm itself needs (gossip targets). */
  seed?: number;
}

/**
 * Options for any algorithm: the common ones plus every algorithm's own (each descriptor says which
 * it reads, in `options`); fields an algorithm does not use are ignored.
 */
export interface AlgorithmOptions extends CommonOptions {
  /** OSGP: steps it may run without receiving before it blocks. */
  tau?: number;
  /** Gossip local SGD: local steps per version (H). */
  localSteps?: number;
  /** Gossip local SGD: peers pushed to after each version; default ceil(fanoutC * ln n). */
  fanout?: number;
  /** Gossip local SGD: c in ceil(c ln n) when `fanout` is not given. */
  fanoutC?: number;
  /** R-FAST: WebAssembly SIMD or plain JavaScript kernels (same values); default 'auto'. */
  kernels?: 'auto' | 'simd' | 'js';
  /** R-FAST: the share of its tracker a push moves to its out-neighbours (RFAST_DEFAULTS.pushShare). */
  pushShare?: number;
  /** R-FAST: a send budget, the share of its slots a peer may send per step (RFAST_DEFAULTS.sendShare; 1: none). */
  sendShare?: number;
  /** R-FAST: receiver pacing, slots per step of a slower target's rate (RFAST_DEFAULTS.paceMargin; 0: off). */
  paceMargin?: number;
  /** R-FAST: models' worth of slots per step split among the targets (RFAST_DEFAULTS.degreeBudget; 0: off). */
  degreeBudget?: number;
  /** R-FAST: how v and the running sums travel (docs/algorithms.md 1.7); see RFAST_ENCODINGS. */
  encoding?: string;
  /** Byzantine-robust mixing (robust-clip.ts): 'clip' (default where supported) or 'off'. */
  robust?: string;
}

/** The per-algorithm option names (what a run config's `algorithmOptions` may hold). */
export type AlgorithmOptionName = Exclude<keyof AlgorithmOptions, keyof CommonOptions>;

/** One option an algorithm reads, with the bounds a config file must respect. */
export type OptionSpec =
  | { readonly type: 'int' | 'number'; readonly min: number; readonly max: number; readonly doc: string }
  | { readonly type: 'enum'; readonly values: readonly [string, ...string[]]; readonly doc: string };

/**
 * Everything a runtime, the run config and the benches need to know about one algorithm. Each
 * algorithm's module exports one; registry.ts lists them, and everything else (names, defaults,
 * the config schema, link targets, the factory) is derived from that list.
 */
export interface AlgorithmDescriptor<N extends string = string> {
  readonly name: N;
  /** For tables, plots and the dashboard. */
  readonly label: string;
  /**
   * Step size of a run config that gives none (the built-in MNIST MLP at batch 32; the measurement
   * behind each value is in the algorithm's module).
   */
  readonly defaultLr: number;
  /**
   * Which peers need a link: 'graph' the neighbours on G_R / G_C (and their undirected union),
   * 'members' every member (a ring all-reduce, push-sum's rotating graph, random gossip targets),
   * 'none' no one (no communication).
   */
  readonly links: 'graph' | 'members' | 'none';
  /** Message kinds it sends and accepts (codes are unique across the registry, except within a family). */
  readonly kinds: readonly MsgKind[];
  /** Variants of one implementation (sgp / osgp) name the same family and may share kinds. */
  readonly family?: string;
  /**
   * How a membership change reaches the run's peers: 'epoch' (the default) rebuilds the topology
   * in a new epoch that every peer enters (algorithms.md 1.6); 'grow' attaches a joiner to a few
   * peers within the epoch and links a leaver's neighbours to each other (topology-grow's
   * attachJoiner and detachLeaver; the algorithm has `grow`), so only those hear of it and nobody
   * resets. A peer ejected for hostile frames still starts a new epoch, so that a reset clears
   * whatever it injected.
   */
  readonly joins?: 'epoch' | 'grow';
  /** The options it reads beyond CommonOptions. */
  readonly options: Readonly<Partial<Record<AlgorithmOptionName, OptionSpec>>>;
  create(opts: AlgorithmOptions): Algorithm;
}

/** Keeps a descriptor's name as a literal type, so registry.ts can derive AlgorithmName from its list. */
export function defineAlgorithm<const N extends string>(d: AlgorithmDescriptor<N>): AlgorithmDescriptor<N> {
  return d;
}

/**
 * Unreliable traffic that a runtime pulls when a link can carry it (docs/algorithms.md 1.7): per
 * out-neighbour one slot per (kind, block), holding only the newest content and encoded at send
 * time. An algorithm that offers slots returns no unreliable envelopes from its step calls; a
 * runtime asks `nextPending` / `take` instead (packages/transport's SendScheduler does).
 */
export interface SlotSource {
  /** Out-neighbours this peer fills slots for, in a fixed order; changes only with `version`. */
  targets(): readonly PeerId[];
  /** Number of slots of target index t. */
  slotCount(t: number): number;
  /** First slot index at or after `from` (cyclically) holding content not sent yet to target t, or -1. */
  nextPending(t: number, from: number): number;
  /**
   * Encodes the newest content of slot s of target t now and marks it sent. The envelope's payload
   * is a view valid until the next call into the algorithm: encode or copy it at once.
   */
  take(t: number, s: number): Envelope;
  /** Increases whenever targets or slot counts change (a new epoch). */
  readonly version: number;
}
