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

/** Payload element type; the wire format encodes it in the header. */
export type Payload = Float32Array | Float64Array;

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
}

export interface Algorithm {
  readonly name: AlgorithmName;
  readonly id: PeerId;
  /** Number of model parameters. */
  readonly dim: number;
  /** May the runtime start computing the next gradient now? */
  ready(): boolean;
  /** Called when the runtime starts a step (after `ready()`); returns messages to send. */
  beginStep(): Envelope[];
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
  /** Replace the model, e.g. a joiner copying a neighbour's x or a checkpoint. */
  loadModel(x: Float32Array): void;
  stats(): AlgoStats;
  /**
   * Which implementation runs the hot loops: 'simd' (WebAssembly) or 'js'. Both compute the same
   * values; algorithms without a choice leave this out.
   */
  kernelKind?(): 'simd' | 'js';
}

export type AlgorithmName = 'rfast' | 'rfast-naive' | 'allreduce' | 'dpsgd' | 'adpsgd' | 'sgp' | 'osgp' | 'gossip';

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
