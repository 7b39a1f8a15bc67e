/**
 * Stochastic gradient push (SGP) and its overlapping variant OSGP (Assran et al. 2019;
 * docs/algorithms.md section 2).
 *
 * State: numerator x and weight w (1 at the start); the de-biased model z = x / w is params() and
 * model(). Step t: z -= lr * g(z), i.e. x -= lr * w * g(z) (the step on the de-biased model, as SGP's
 * own implementation takes it; see applyGradient for why not x -= lr * g), then keep half of x and w and
 * push the other half to ONE out-peer on the time-varying directed exponential graph: the peer at
 * position i of the sorted members sends to position (i + 2^(t mod m)) mod n, m = ceil(log2 n).
 * Kind PushSum, seq = t, aux = the pushed weight share, reliable (a lost share is lost mass).
 *
 * Weights are kept per block (each block is its own push-sum instance with its own weight share in
 * `aux`), so z stays exact for every coordinate even while a message is only partly received.
 *
 * SGP (tau = 0): step t+1 waits until the round-t message of its in-peer (position i - 2^(t mod m))
 * has fully arrived, and a message of a round this peer has not stepped yet is held and added right
 * after that step, so the trajectory does not depend on delivery timing. An in-peer can be at most
 * m steps ahead (every peer's step t depends on every peer's step t - m through the exponential
 * graph), so the m in-peers of a window of m rounds need one held message each at most.
 * OSGP (tau > 0): messages are added on arrival (the overlap is the point) and step t+1 waits only
 * for the rounds up to t - tau.
 *
 * Epochs: setEpoch re-normalises (x <- z, w <- 1: shares in flight to or from departed peers are
 * lost, the ratio is not), and every live peer restarts at round 0 on the new members' graph.
 */
import { defineAlgorithm, type AlgorithmOptions, MsgKind, type Algorithm, type Envelope, type Message, type PeerId, type PeerNeighbours } from './contract';
import { blockEnd, blockLayout, blockViews, blockStart, type BlockLayout } from './blocks';
import { ConfigError } from './errors';
import { BASELINE_DEFAULTS } from './baseline-config';
import { checkLength, envelope, isFloat32Block, kindSet, mod, sortedMembers } from './baseline-support';
import { EpochGatedBaseline } from './epoch-gated';

export class PushSum extends EpochGatedBaseline implements Algorithm {
  readonly name: 'sgp' | 'osgp';
  readonly id: PeerId;
  readonly dim: number;
  /** Rounds a peer may run ahead of its latest fully received in-message (0 = SGP). */
  readonly tau: number;

  private readonly lr: number;
  private readonly layout: BlockLayout;
  private readonly x: Float32Array;
  private readonly w: Float64Array;
  private readonly at: Float32Array;
  private atFresh = false;
  private readonly z: Float32Array;
  private readonly out: Float32Array;
  private readonly outViews: Float32Array[];

  private members: PeerId[] = [];
  private n = 1;
  private pos = 0;
  /** Rounds of the exponential graph's period: in-peer slot k sends to us in rounds r = k mod m. */
  private m = 0;
  /** Steps taken in this epoch (= the round of the next step). */
  private steps = 0;
  /** Every round <= this one has fully arrived. */
  private completeThrough = -1;
  /** Per slot: the round being received (in-peers send in order), and which of its blocks arrived. */
  private slotRound = new Float64Array(0);
  private slotCount = new Int32Array(0);
  private slotSeen = new Uint8Array(0);
  /** SGP only, per slot: blocks of a round we have not stepped yet (one message per slot at most). */
  private heldX = new Float32Array(0);
  private heldW = new Float64Array(0);
  private heldMask = new Uint8Array(0);
  private heldRound = new Float64Array(0);

  constructor(opts: AlgorithmOptions) {
    const tau = opts.tau ?? 0;
    // An OSGP in-peer may send tau more rounds before it needs our reply.
    super(opts, kindSet(MsgKind.PushSum), BASELINE_DEFAULTS.heldVectorsPerSender + tau);
    if (!Number.isInteger(tau) || tau < 0) throw new ConfigError(`tau must be a non-negative integer (0 = SGP), got ${tau}`);
    this.tau = tau;
    this.name = tau === 0 ? 'sgp' : 'osgp';
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.layout = blockLayout(this.dim, opts.blockSize);
    this.x = Float32Array.from(opts.x0);
    this.w = new Float64Array(this.layout.count).fill(1);
    this.at = new Float32Array(this.dim);
    this.z = new Float32Array(this.dim);
    this.out = new Float32Array(this.dim);
    this.outViews = blockViews(this.out, this.layout);
    this.enterEpoch(opts.neighbours);
  }

  ready(): boolean {
    const need = this.steps - 1 - this.tau;
    return this.n === 1 || need < 0 || this.completeThrough >= need;
  }

  beginStep(): Envelope[] {
    this.deBias(this.at);
    this.atFresh = true;
    return [];
  }

  params(): Float32Array {
    if (!this.atFresh) this.beginStep();
    return this.at;
  }

  /** z = x / w, computed on each call into a buffer of its own. */
  model(): Float32Array {
    this.deBias(this.z);
    return this.z;
  }

  /** The numerator x (a view; push-sum mass, for invariant checks). */
  numerator(): Float32Array {
    return this.x;
  }

  /** The per-block weights w (a view). */
  weights(): Float64Array {
    return this.w;
  }

  applyGradient(grad: Float32Array): Envelope[] {
    checkLength('gradient', grad, this.dim);
    this.st.steps++;
    this.atFresh = false;
    const x = this.x;
    const lr = this.lr;
    if (this.n === 1) {
      // Alone, w is 1 (every epoch change and loadModel re-normalise): plain SGD.
      for (let i = 0; i < x.length; i++) x[i] -= lr * grad[i];
      this.steps++;
      return [];
    }
    const out = this.out;
    for (let b = 0; b < this.layout.count; b++) {
      // The step is taken on the de-biased model z = x / w (z -= lr g, x = w z), so the owner's lr
      // is the step whatever w is. A numerator step (x -= lr g) would move z by lr / w, which blows
      // up when a fast peer has pushed most of its weight away while waiting for a slow one.
      const step = lr * this.w[b];
      const end = blockEnd(this.layout, b);
      for (let i = blockStart(this.layout, b); i < end; i++) out[i] = x[i] = 0.5 * (x[i] - step * grad[i]);
    }
    const r = this.steps;
    const slot = r % this.m;
    const to = this.members[mod(this.pos + 2 ** slot, this.n)];
    const envs: Envelope[] = [];
    for (let b = 0; b < this.layout.count; b++) {
      this.w[b] *= 0.5;
      envs.push(envelope(to, true, MsgKind.PushSum, this.id, this.epoch, r, b, blockStart(this.layout, b), this.w[b], this.outViews[b]));
    }
    this.steps++;
    if (this.heldRound[slot] === r) this.addHeld(slot);
    return envs;
  }

  /** x becomes the model with weight 1 (push-sum restarts from it). */
  loadModel(x: Float32Array): void {
    checkLength('loadModel(x)', x, this.dim);
    this.x.set(x);
    this.w.fill(1);
    this.atFresh = false;
  }

  /** Re-normalises before the new epoch: x <- x / w, w <- 1 (shares in flight are lost, the ratio is not). */
  protected override leaveEpoch(): void {
    this.deBias(this.x);
    this.w.fill(1);
  }

  protected enterEpoch(nb: PeerNeighbours): void {
    this.members = sortedMembers(nb, this.id);
    this.n = this.members.length;
    this.pos = this.members.indexOf(this.id);
    const m = this.n === 1 ? 0 : Math.ceil(Math.log2(this.n));
    const count = this.layout.count;
    if (m !== this.m) {
      this.m = m;
      this.slotRound = new Float64Array(m);
      this.slotCount = new Int32Array(m);
      this.slotSeen = new Uint8Array(m * count);
      if (this.tau === 0) {
        this.heldX = new Float32Array(m * this.dim);
        this.heldW = new Float64Array(m * count);
        this.heldMask = new Uint8Array(m * count);
        this.heldRound = new Float64Array(m);
      } else this.heldRound = new Float64Array(m);
    }
    for (let k = 0; k < m; k++) this.slotRound[k] = k;
    this.slotCount.fill(0);
    this.slotSeen.fill(0);
    this.heldMask.fill(0);
    this.heldRound.fill(-1);
    this.steps = 0;
    this.completeThrough = -1;
    this.atFresh = false;
  }

  protected handle(msg: Message): Envelope[] {
    if (msg.kind !== MsgKind.PushSum || this.n === 1 || !isFloat32Block(msg, this.layout, this.evidence)) return this.reject();
    const r = msg.seq;
    const share = msg.aux;
    const slot = r % this.m;
    if (!(share > 0 && share <= this.n) || msg.from !== this.members[mod(this.pos - 2 ** slot, this.n)]) {
      return this.reject();
    }
    // In-peers send their rounds in order over a FIFO link, so only the slot's current round is valid.
    const seen = slot * this.layout.count + msg.block;
    if (r !== this.slotRound[slot] || this.slotSeen[seen]) return this.reject();
    const early = r >= this.steps;
    if (this.tau === 0 && early && r >= this.steps + this.m) return this.reject(); // beyond any honest lead
    this.slotSeen[seen] = 1;
    if (this.tau === 0 && early) {
      this.heldX.set(msg.data, slot * this.dim + msg.offset);
      this.heldW[seen] = share;
      this.heldMask[seen] = 1;
      this.heldRound[slot] = r;
    } else this.addBlock(msg.block, msg.data, 0, share);
    if (++this.slotCount[slot] === this.layout.count) {
      this.slotCount[slot] = 0;
      this.slotSeen.fill(0, slot * this.layout.count, (slot + 1) * this.layout.count);
      this.slotRound[slot] = r + this.m;
      while (this.slotRound[(this.completeThrough + 1) % this.m] > this.completeThrough + 1) this.completeThrough++;
    }
    return [];
  }

  /** Adds the blocks held for this slot's round, now that we have stepped it. */
  private addHeld(slot: number): void {
    const count = this.layout.count;
    for (let b = 0; b < count; b++) {
      const k = slot * count + b;
      if (!this.heldMask[k]) continue;
      this.heldMask[k] = 0;
      this.addBlock(b, this.heldX, slot * this.dim + blockStart(this.layout, b), this.heldW[k]);
    }
    this.heldRound[slot] = -1;
  }

  /** x[block b] += src[from ..], w_b += share. */
  private addBlock(b: number, src: Float32Array, from: number, share: number): void {
    const x = this.x;
    const end = blockEnd(this.layout, b);
    for (let i = blockStart(this.layout, b), k = from; i < end; i++, k++) x[i] += src[k];
    this.w[b] += share;
  }

  /** dst = x / w, block by block. */
  private deBias(dst: Float32Array): void {
    const x = this.x;
    for (let b = 0; b < this.layout.count; b++) {
      const inv = 1 / this.w[b];
      const end = blockEnd(this.layout, b);
      for (let i = blockStart(this.layout, b); i < end; i++) dst[i] = x[i] * inv;
    }
  }
}

/**
 * Default step 0.4: the grid 0.025-0.8 in 3 real tabs, 3 seeds, 60 steps per tab
 * (e2e/bench/lr-grid.bench.ts, results/lr-grid-osgp.json) picked 0.4 for OSGP (worst tab 0.903 on
 * average, 0.888 at the lowest; 0.8 fell to 0.874); SGP takes the same update, so the same value.
 */
const PUSHSUM_LR = 0.4;

export const SGP_DESCRIPTOR = defineAlgorithm({
  name: 'sgp',
  label: 'SGP',
  family: 'push-sum',
  defaultLr: PUSHSUM_LR,
  links: 'members',
  kinds: [MsgKind.PushSum],
  options: {},
  create: (opts) => new PushSum({ ...opts, tau: 0 }),
});

export const OSGP_DESCRIPTOR = defineAlgorithm({
  name: 'osgp',
  label: 'OSGP',
  family: 'push-sum',
  defaultLr: PUSHSUM_LR,
  links: 'members',
  kinds: [MsgKind.PushSum],
  options: { tau: { type: 'int', min: 0, max: 1000, doc: 'steps it may run without receiving before it blocks (default 4)' } },
  create: (opts) => new PushSum({ ...opts, tau: opts.tau ?? 4 }),
});
