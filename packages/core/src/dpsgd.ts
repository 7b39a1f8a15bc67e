/**
 * D-PSGD (Lian et al. 2017; docs/algorithms.md section 2), synchronous rounds on the undirected graph:
 *
 *   x_i^{t+1} = W_ii x_i^t + sum_{j ~ i} W_ij x_j^t - lr * g_i(x_i^t)
 *
 * with Metropolis weights W_ij = 1 / (1 + max(d_i, d_j)), W_ii = 1 - sum_j W_ij (symmetric and doubly
 * stochastic without global knowledge: every message carries its sender's degree in `aux`).
 *
 * Round t: applyGradient sends x^t to every neighbour (kind DpsgdModel, seq t, reliable) and the
 * round completes once every neighbour's x^t has arrived (a block refused for its values counts as
 * arrived, with our own block in its place); only then is the peer ready for t+1.
 * Neighbour blocks are mixed on arrival into an accumulator, so no copy of a neighbour's model is
 * kept. A neighbour can be one round ahead (it completed t first and sent x^{t+1}), never more, since
 * its round t+1 needs our x^{t+1}; its blocks go to a second accumulator. Three buffers rotate:
 * x^t (what we sent), the round-t accumulator (becomes x^{t+1}) and the round-t+1 accumulator.
 *
 * Epochs: on setEpoch every live peer drops its round in progress and restarts at round 0 with the
 * new neighbours and degrees; x keeps its last completed value.
 */
import { defineAlgorithm, type AlgorithmOptions, MsgKind, type Algorithm, type Envelope, type Message, type PeerId, type PeerNeighbours } from './contract';
import { blockLayout, blockViews, blockStart, type BlockLayout } from './blocks';
import { PeerIndex, checkLength, envelope, isFloat32Block, isShapedFloat32Block, kindSet, sortedMembers, sortedNeighbours } from './baseline-support';
import { EpochGatedBaseline } from './epoch-gated';
import { ROBUST_OPTION, robustPull } from './robust-clip';

/** arrivedNow / arrivedNext per (neighbour, block): a good block was mixed in, or a refused one waits for our own to stand in. */
const TAKEN = 1;
const STAND_IN = 2;

export class Dpsgd extends EpochGatedBaseline implements Algorithm {
  readonly name = 'dpsgd' as const;
  readonly id: PeerId;
  readonly dim: number;

  private readonly lr: number;
  private readonly layout: BlockLayout;
  /** Three rotating model-sized buffers and their block views. */
  private readonly bufs: Float32Array[];
  private readonly views: Float32Array[][];
  private cur = 0; // x^t
  private accNow = 1; // sum_j W_ij x_j^t - lr g, becomes x^{t+1}
  private accNext = 2; // round t+1 blocks from neighbours that are ahead
  /** accNext still holds an old x and must be zeroed before round t+1 blocks can land in it. */
  private accNextDirty = false;
  /** Arrived flags per (neighbour, block) for rounds t and t+1, and their counts. */
  private arrivedNow: Uint8Array;
  private arrivedNext: Uint8Array;
  private countNow = 0;
  private countNext = 0;

  private memberCount = 1;
  private nbrs: PeerId[] = [];
  private nbrIndex = new PeerIndex([]);
  /** Degree announced by each neighbour in this epoch (0 = not heard yet). */
  private nbrDegree = new Int32Array(0);
  private round = 0;
  private applied = false;

  constructor(opts: AlgorithmOptions) {
    super(opts, kindSet(MsgKind.DpsgdModel));
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.layout = blockLayout(this.dim, opts.blockSize);
    this.bufs = [Float32Array.from(opts.x0), new Float32Array(this.dim), new Float32Array(this.dim)];
    this.views = this.bufs.map((buf) => blockViews(buf, this.layout));
    this.robust = robustPull(opts.robust, this.layout.count, this.layout.blockSize);
    this.arrivedNow = new Uint8Array(0);
    this.arrivedNext = new Uint8Array(0);
    this.enterEpoch(opts.neighbours);
  }

  ready(): boolean {
    return !this.applied;
  }

  beginStep(): Envelope[] {
    return [];
  }

  params(): Float32Array {
    return this.bufs[this.cur];
  }

  model(): Float32Array {
    return this.bufs[this.cur];
  }

  applyGradient(grad: Float32Array): Envelope[] {
    checkLength('gradient', grad, this.dim);
    if (this.applied) return []; // a second gradient for one round: the runtime ignored ready()
    this.st.steps++;
    if (this.accNextDirty) {
      this.bufs[this.accNext].fill(0); // no round t+1 block can have arrived before we send x^t
      this.accNextDirty = false;
    }
    const acc = this.bufs[this.accNow];
    const lr = this.lr;
    for (let i = 0; i < acc.length; i++) acc[i] -= lr * grad[i];
    this.applied = true;
    const out: Envelope[] = [];
    const deg = this.nbrs.length;
    const xViews = this.views[this.cur];
    for (const j of this.nbrs) {
      for (let b = 0; b < this.layout.count; b++) {
        out.push(envelope(j, true, MsgKind.DpsgdModel, this.id, this.epoch, this.round, b, blockStart(this.layout, b), deg, xViews[b]));
      }
    }
    this.maybeFinish();
    return out;
  }

  loadModel(x: Float32Array): void {
    checkLength('loadModel(x)', x, this.dim);
    this.bufs[this.cur].set(x);
  }

  protected enterEpoch(nb: PeerNeighbours): void {
    const members = sortedMembers(nb, this.id);
    this.memberCount = members.length;
    this.nbrs = sortedNeighbours(nb, this.id, members);
    this.nbrIndex = new PeerIndex(this.nbrs);
    this.nbrDegree = new Int32Array(this.nbrs.length);
    this.arrivedNow = new Uint8Array(this.nbrs.length * this.layout.count);
    this.arrivedNext = new Uint8Array(this.nbrs.length * this.layout.count);
    this.countNow = this.countNext = 0;
    this.bufs[this.accNow].fill(0);
    this.bufs[this.accNext].fill(0);
    this.accNextDirty = false;
    this.round = 0;
    this.applied = false;
  }

  protected handle(msg: Message): Envelope[] {
    if (msg.kind !== MsgKind.DpsgdModel || !isShapedFloat32Block(msg, this.layout)) return this.reject();
    const bounded = isFloat32Block(msg, this.layout, this.evidence);
    const j = this.nbrIndex.of(msg.from);
    const d = msg.aux;
    if (j < 0 || !Number.isInteger(d) || d < 1 || d >= this.memberCount) return this.reject();
    let next: boolean;
    if (msg.seq === this.round) next = false;
    else if (msg.seq === this.round + 1 && this.applied) next = true; // neighbour one round ahead
    else if (msg.seq < this.round) {
      this.st.stale++;
      return [];
    } else return this.reject();
    if (this.nbrDegree[j] !== 0 && this.nbrDegree[j] !== d) return this.reject();
    const arrived = next ? this.arrivedNext : this.arrivedNow;
    const slot = j * this.layout.count + msg.block;
    if (arrived[slot] === TAKEN || (!bounded && arrived[slot] === STAND_IN)) return this.reject();
    this.nbrDegree[j] = d;
    if (!bounded) {
      // Refused for its values, it still counts for the round: our own block stands in for it
      // when the round completes (unless a good one comes first). The round would otherwise wait
      // for a frame that never comes: a hostile neighbour would stall every round, and with fewer
      // blocks than verdict.minRefused never even send the evidence that ejects it.
      this.st.rejected++;
      arrived[slot] = STAND_IN;
      return this.counted(next);
    }
    const first = arrived[slot] === 0;
    arrived[slot] = TAKEN;
    const w = 1 / (1 + Math.max(this.nbrs.length, d));
    const acc = this.bufs[next ? this.accNext : this.accNow];
    // Centred on x^t (for a block one round ahead too: x^{t+1} is not known yet).
    // Each (sender, block) arrives once per round, and an honest x changes every round: news.
    const data = this.mixable(msg, this.bufs[this.cur], true);
    for (let i = msg.offset, k = 0; k < data.length; i++, k++) acc[i] += w * data[k];
    return first ? this.counted(next) : [];
  }

  /** One more block of the round (this one, or the next) arrived or stands in. */
  private counted(next: boolean): Envelope[] {
    if (next) this.countNext++;
    else {
      this.countNow++;
      this.maybeFinish();
    }
    return [];
  }

  /** Refused blocks of the round: the neighbour's weight goes to our own block x^t. */
  private addStandIns(acc: Float32Array, x: Float32Array): void {
    const flags = this.arrivedNow;
    const { count } = this.layout;
    for (let slot = 0; slot < flags.length; slot++) {
      if (flags[slot] !== STAND_IN) continue;
      const j = Math.floor(slot / count);
      const w = 1 / (1 + Math.max(this.nbrs.length, this.nbrDegree[j]));
      const from = blockStart(this.layout, slot % count);
      const to = Math.min(x.length, from + this.layout.blockSize);
      for (let i = from; i < to; i++) acc[i] += w * x[i];
    }
  }

  /** Round t is complete: x^{t+1} = acc + W_ii x^t; rotate the buffers. */
  private maybeFinish(): void {
    if (!this.applied || this.countNow !== this.nbrs.length * this.layout.count) return;
    let wSelf = 1;
    for (let j = 0; j < this.nbrs.length; j++) wSelf -= 1 / (1 + Math.max(this.nbrs.length, this.nbrDegree[j]));
    const acc = this.bufs[this.accNow];
    const x = this.bufs[this.cur];
    for (let i = 0; i < acc.length; i++) acc[i] += wSelf * x[i];
    this.addStandIns(acc, x);
    // x^t is not zeroed here: envelopes returned by this very call may still view it.
    const old = this.cur;
    this.cur = this.accNow;
    this.accNow = this.accNext;
    this.accNext = old;
    this.accNextDirty = true;
    const flags = this.arrivedNow;
    this.arrivedNow = this.arrivedNext;
    this.arrivedNext = flags.fill(0);
    this.countNow = this.countNext;
    this.countNext = 0;
    this.round++;
    this.applied = false;
  }
}

/** Default step 0.3: three real tabs reach 90% with it (e2e/baselines.spec.ts). */
export const DPSGD_DESCRIPTOR = defineAlgorithm({
  name: 'dpsgd',
  label: 'D-PSGD',
  defaultLr: 0.3,
  links: 'graph',
  kinds: [MsgKind.DpsgdModel],
  options: { robust: ROBUST_OPTION },
  create: (opts) => new Dpsgd(opts),
});
