/**
 * AD-PSGD (Lian et al. 2018; docs/algorithms.md section 2): asynchronous pairwise averaging.
 *
 * beginStep snapshots x (params() is the snapshot, the gradient is computed on it). An active peer
 * then sends its x to one random neighbour (AdRequest blocks, aux = request id). The passive peer
 * handles each block at once: it replies with its pre-averaging block (AdReply) and averages,
 * x_p <- (x_p + x_a) / 2. The active peer, per reply block, applies x_a <- x_a + (x_p_old - x_a_sent)/2.
 * When the pair is averaged, the gradient is applied, x -= lr * g (held in a buffer if it came
 * first; ready() is false until then). Passive peers reply immediately and never wait, so there is
 * no deadlock, and every block exchange moves (x_a - x_p)/2 one way and back: the sum of all models
 * changes only by gradient steps. All messages are reliable.
 *
 * Colours: the peer at an even position of the sorted members is active and asks neighbours at odd
 * positions. When the graph is not bipartite that way, a peer without a neighbour of the other
 * colour is active and asks any neighbour. An active peer may then also be asked while its own
 * request is open; the delta form above (rather than (x_a + x_p_old) / 2) keeps the sum exact then.
 *
 * Epochs: setEpoch cancels an open request (a gradient waiting for it is applied) and forgets the
 * per-neighbour request state; blocks already exchanged stay averaged. A reply refused for its
 * content ends the request the same way (under attack the sum is not conserved, by design), and so
 * does `stalled()` (the runtime waited too long for the replies); the silent peer is then skipped
 * for a while (BASELINE_DEFAULTS.adpsgdSilentSkipRounds). Blocks it did not answer were averaged
 * on its side only if it got them: the sum may be off by what it took, as under loss of a reply.
 */
import { defineAlgorithm, type AlgorithmOptions, MsgKind, type Algorithm, type Envelope, type Message, type PeerId, type PeerNeighbours } from './contract';
import { blockLayout, blockViews, blockStart, type BlockLayout } from './blocks';
import { Rng } from './rng';
import { PeerIndex, checkLength, envelope, isFloat32Block, kindSet, sortedMembers, sortedNeighbours } from './baseline-support';
import { EpochGatedBaseline } from './epoch-gated';
import { ROBUST_OPTION, robustPull } from './robust-clip';
import { BASELINE_DEFAULTS } from './baseline-config';

export class AdPsgd extends EpochGatedBaseline implements Algorithm {
  readonly name = 'adpsgd' as const;
  readonly id: PeerId;
  readonly dim: number;

  private readonly lr: number;
  private readonly layout: BlockLayout;
  private readonly rng: Rng;
  private readonly x: Float32Array;
  /** The snapshot the gradient is computed at; while a request is open, also what was sent. */
  private readonly snap: Float32Array;
  private readonly snapViews: Float32Array[];
  private snapFresh = false;
  /** A gradient that arrived before the averaging completed. */
  private readonly heldGrad: Float32Array;
  private gradHeld = false;
  /** Passive side: our pre-averaging blocks being replied. */
  private readonly replyBuf: Float32Array;
  private readonly replyViews: Float32Array[];

  private nbrs: PeerId[] = [];
  private nbrIndex = new PeerIndex([]);
  private active = false;
  private candidates: PeerId[] = [];

  /** Active side: the open request. */
  private open = false;
  private target: PeerId = -1;
  private requestId = 0;
  private readonly replySeen: Uint8Array;
  private replyCount = 0;
  /** Per candidate (same order): the request id before which it is not asked (a stalled exchange), and its stalls in a row. */
  private skipUntil = new Float64Array(0);
  private stallStreak = new Uint8Array(0);

  /** Passive side, per neighbour: the newest request id and which of its blocks we answered. */
  private askedId = new Float64Array(0);
  private askedSeen = new Uint8Array(0);

  constructor(opts: AlgorithmOptions) {
    super(opts, kindSet(MsgKind.AdRequest, MsgKind.AdReply));
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.layout = blockLayout(this.dim, opts.blockSize);
    this.rng = new Rng((opts.seed ?? 0) + opts.id);
    this.x = Float32Array.from(opts.x0);
    this.snap = new Float32Array(this.dim);
    this.snapViews = blockViews(this.snap, this.layout);
    this.heldGrad = new Float32Array(this.dim);
    this.replyBuf = new Float32Array(this.dim);
    this.replyViews = blockViews(this.replyBuf, this.layout);
    this.replySeen = new Uint8Array(this.layout.count);
    this.robust = robustPull(opts.robust, this.layout.count, this.layout.blockSize);
    this.enterEpoch(opts.neighbours);
  }

  /** Is this peer the one that starts averaging exchanges in the current epoch? */
  get isActive(): boolean {
    return this.active;
  }

  ready(): boolean {
    return !this.open;
  }

  beginStep(): Envelope[] {
    if (this.open) return []; // the runtime ignored ready(): keep the open request's snapshot
    this.snap.set(this.x);
    this.snapFresh = true;
    if (!this.active || this.candidates.length === 0) return [];
    this.target = this.pickTarget();
    this.requestId++;
    this.open = true;
    this.replySeen.fill(0);
    this.replyCount = 0;
    const out: Envelope[] = [];
    for (let b = 0; b < this.layout.count; b++) {
      out.push(this.send(this.target, MsgKind.AdRequest, this.st.steps, b, this.requestId, this.snapViews[b]));
    }
    return out;
  }

  /**
   * Ends an exchange whose replies did not come within the runtime's stall limit: a silent passive
   * peer (gone, or hostile) stalled its requesters until the next epoch before. The gradient that
   * waited is applied, and the peer is not asked for a while.
   */
  stalled(): Envelope[] {
    if (!this.open) return [];
    const k = this.candidates.indexOf(this.target);
    if (k >= 0) {
      // Doubling with each stall in a row: a peer gone silent for good costs ever rarer stalls.
      const streak = Math.min(this.stallStreak[k], BASELINE_DEFAULTS.adpsgdSilentMaxDoublings);
      this.stallStreak[k]++;
      this.skipUntil[k] = this.requestId + 1 + BASELINE_DEFAULTS.adpsgdSilentSkipRounds * this.candidates.length * 2 ** streak;
    }
    this.st.stalled = (this.st.stalled ?? 0) + 1;
    this.closeRequest();
    return [];
  }

  /** A random candidate among those not skipped (any candidate when every one is). */
  private pickTarget(): PeerId {
    const next = this.requestId + 1;
    let open = 0;
    for (let k = 0; k < this.candidates.length; k++) if (this.skipUntil[k] <= next) open++;
    if (open === 0) return this.candidates[this.rng.int(this.candidates.length)];
    let r = this.rng.int(open);
    for (let k = 0; k < this.candidates.length; k++) if (this.skipUntil[k] <= next && r-- === 0) return this.candidates[k];
    return this.candidates[0];
  }

  params(): Float32Array {
    if (!this.snapFresh && !this.open) {
      this.snap.set(this.x);
      this.snapFresh = true;
    }
    return this.snap;
  }

  model(): Float32Array {
    return this.x;
  }

  applyGradient(grad: Float32Array): Envelope[] {
    checkLength('gradient', grad, this.dim);
    this.st.steps++;
    this.snapFresh = false;
    if (this.open) {
      this.heldGrad.set(grad);
      this.gradHeld = true;
    } else this.descend(grad);
    return [];
  }

  loadModel(x: Float32Array): void {
    checkLength('loadModel(x)', x, this.dim);
    this.x.set(x);
  }

  protected enterEpoch(nb: PeerNeighbours): void {
    const members = sortedMembers(nb, this.id);
    this.nbrs = sortedNeighbours(nb, this.id, members);
    this.nbrIndex = new PeerIndex(this.nbrs);
    const colour = members.indexOf(this.id) % 2;
    const opposite = this.nbrs.filter((j) => members.indexOf(j) % 2 !== colour);
    this.active = colour === 0 || opposite.length === 0;
    this.candidates = opposite.length > 0 ? opposite : this.nbrs;
    this.skipUntil = new Float64Array(this.candidates.length);
    this.stallStreak = new Uint8Array(this.candidates.length);
    this.askedId = new Float64Array(this.nbrs.length);
    this.askedSeen = new Uint8Array(this.nbrs.length * this.layout.count);
    this.closeRequest();
  }

  protected handle(msg: Message): Envelope[] {
    if (msg.kind === MsgKind.AdRequest) return this.onRequest(msg);
    if (msg.kind === MsgKind.AdReply) return this.onReply(msg);
    return this.reject();
  }

  /** Passive side: reply with our block as it was, then average it with the requester's. */
  private onRequest(msg: Message): Envelope[] {
    if (!isFloat32Block(msg, this.layout, this.evidence)) return this.reject();
    const j = this.nbrIndex.of(msg.from);
    const rid = msg.aux;
    if (j < 0 || !Number.isInteger(rid) || rid < 1 || rid < this.askedId[j]) return this.reject();
    const row = j * this.layout.count;
    if (rid > this.askedId[j]) {
      this.askedId[j] = rid;
      this.askedSeen.fill(0, row, row + this.layout.count);
    }
    if (this.askedSeen[row + msg.block]) return this.reject();
    this.askedSeen[row + msg.block] = 1;
    const x = this.x;
    const old = this.replyBuf;
    // A new request is news: the requester took a gradient step since its last one (the step loop
    // applies one gradient between two beginSteps), so a block identical to its last request's is
    // a replay.
    const data = this.mixable(msg, x, true);
    for (let i = msg.offset, k = 0; k < data.length; i++, k++) {
      old[i] = x[i];
      x[i] = 0.5 * (x[i] + data[k]);
    }
    return [this.send(msg.from, MsgKind.AdReply, msg.seq, msg.block, rid, this.replyViews[msg.block])];
  }

  /** Active side: move our block halfway towards the passive peer's pre-averaging block. */
  private onReply(msg: Message): Envelope[] {
    if (!isFloat32Block(msg, this.layout, this.evidence)) {
      // A reply to our open request that we cannot mix in is not sent again: waiting for it would
      // stall our steps for good, a hostile passive peer's cheapest attack (in the simulator two of
      // its requesters stopped after one x1e6 reply). The exchange ends; blocks already averaged stay.
      if (this.open && msg.from === this.target && msg.aux === this.requestId) this.closeRequest();
      return this.reject();
    }
    if (!this.open || msg.from !== this.target || msg.aux !== this.requestId || this.replySeen[msg.block]) {
      return this.reject();
    }
    this.replySeen[msg.block] = 1;
    const x = this.x;
    const sent = this.snap;
    // Clipped around what we sent: the reply is the passive peer's block before it averaged ours.
    // It is news too: since its last reply to us that peer averaged our request in, which moves
    // its block unless the two were equal (a block no gradient touches, such as the weights of
    // MNIST's blank border pixels; the verdict's share of frames absorbs those).
    const data = this.mixable(msg, sent, true);
    for (let i = msg.offset, k = 0; k < data.length; i++, k++) x[i] += 0.5 * (data[k] - sent[i]);
    if (++this.replyCount === this.layout.count) {
      const k = this.candidates.indexOf(this.target);
      if (k >= 0) this.stallStreak[k] = 0; // it answered: a later stall starts the backoff afresh
      this.closeRequest();
    }
    return [];
  }

  /** Ends the open request (complete or cancelled) and applies a gradient that waited for it. */
  private closeRequest(): void {
    this.open = false;
    this.target = -1;
    if (this.gradHeld) {
      this.gradHeld = false;
      this.descend(this.heldGrad);
    }
  }

  private descend(g: Float32Array): void {
    const x = this.x;
    const lr = this.lr;
    for (let i = 0; i < x.length; i++) x[i] -= lr * g[i];
  }

  private send(to: PeerId, kind: MsgKind, seq: number, b: number, rid: number, data: Float32Array): Envelope {
    return envelope(to, true, kind, this.id, this.epoch, seq, b, blockStart(this.layout, b), rid, data);
  }
}

/** Default step 0.3: three real tabs reach 90% with it (e2e/baselines.spec.ts). */
export const ADPSGD_DESCRIPTOR = defineAlgorithm({
  name: 'adpsgd',
  label: 'AD-PSGD',
  defaultLr: 0.3,
  links: 'graph',
  kinds: [MsgKind.AdRequest, MsgKind.AdReply],
  options: { robust: ROBUST_OPTION },
  create: (opts) => new AdPsgd(opts),
});
