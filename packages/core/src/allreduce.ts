/**
 * AllReduce SGD (docs/algorithms.md section 2): every step all members average their gradients with a
 * ring all-reduce and apply the same update x -= lr * mean(g).
 *
 * Ring = members ascending; pred/succ are the neighbours on it. The vector is cut into n segments
 * of whole blocks. Reduce-scatter: segment s starts at peer s (hop 0 carries its own gradient) and
 * each receiver adds its gradient and forwards (hop h+1) until peer s-1, the segment's owner, holds
 * the full sum after hop n-2. All-gather: the owner sends the sum on (hop 0) and it is forwarded
 * until every peer has it. Each block travels on its own, so the ring is pipelined block by block.
 * All messages are reliable (exactly once, FIFO per link) and carry seq = round, aux = hop.
 *
 * A peer contributes to round r in applyGradient and is ready again when it holds the full sum of
 * every block. Blocks of round r that arrive before its own gradient wait in the accumulator until
 * applyGradient adds it. Nothing of round r+1 can arrive earlier than that: everything a peer needs
 * in round r comes from its predecessor, which sends it all before it can start round r+1, and the
 * link is FIFO. A round r+1 message before our round r completed is therefore rejected.
 *
 * Epochs: on setEpoch every live peer drops the round in progress (its gradient is wasted) and
 * restarts at round 0 of the new epoch on the new ring. Peers that had completed the last round
 * of the old epoch and peers that had not keep models one step apart; a runtime that needs
 * identical models copies one on the epoch change (loadModel).
 */
import { defineAlgorithm, type AlgorithmOptions, MsgKind, type Algorithm, type Envelope, type Message, type PeerId, type PeerNeighbours } from './contract';
import { blockEnd, blockLayout, blockViews, blockStart, type BlockLayout } from './blocks';
import { ROBUST_DEFAULTS } from './robust-config';
import { checkLength, envelope, isFloat32Block, kindSet, mod, sortedMembers } from './baseline-support';
import { EpochGatedBaseline } from './epoch-gated';

/** Per-block round state bits. */
const REDUCE_IN = 1; // the reduce message for this block arrived
const PENDING = 2; // ...before our gradient: our share is not added yet
const GATHER_IN = 4; // the all-gather message (the block's full sum) arrived

export class AllReduceSgd extends EpochGatedBaseline implements Algorithm {
  readonly name = 'allreduce' as const;
  readonly id: PeerId;
  readonly dim: number;

  private readonly lr: number;
  private readonly layout: BlockLayout;
  private readonly x: Float32Array;
  private readonly g: Float32Array;
  private readonly gViews: Float32Array[];
  private readonly acc: Float32Array;
  private readonly accViews: Float32Array[];
  private readonly flags: Uint8Array;

  private n = 1;
  private pos = 0;
  private pred: PeerId;
  private succ: PeerId;
  /** Segment of each block, and the first block of each segment (segStart[n] = block count). */
  private segOfBlock: Int32Array;
  private segStart: Int32Array;
  private round = 0;
  private contributed = false;
  /** Blocks of the current round whose full sum we hold. */
  private full = 0;

  constructor(opts: AlgorithmOptions) {
    super(opts, kindSet(MsgKind.ArReduce, MsgKind.ArGather));
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.layout = blockLayout(this.dim, opts.blockSize);
    this.x = Float32Array.from(opts.x0);
    this.g = new Float32Array(this.dim);
    this.gViews = blockViews(this.g, this.layout);
    this.acc = new Float32Array(this.dim);
    this.accViews = blockViews(this.acc, this.layout);
    this.flags = new Uint8Array(this.layout.count);
    this.segOfBlock = new Int32Array(this.layout.count);
    this.segStart = new Int32Array(2);
    this.pred = this.succ = this.id;
    this.enterEpoch(opts.neighbours);
  }

  ready(): boolean {
    return !this.contributed;
  }

  beginStep(): Envelope[] {
    return [];
  }

  params(): Float32Array {
    return this.x;
  }

  model(): Float32Array {
    return this.x;
  }

  applyGradient(grad: Float32Array): Envelope[] {
    checkLength('gradient', grad, this.dim);
    if (this.contributed) return []; // a second gradient for one round: the runtime ignored ready()
    this.st.steps++;
    this.g.set(grad);
    this.contributed = true;
    if (this.n === 1) {
      this.finishRound(this.g, 1);
      return [];
    }
    const out: Envelope[] = [];
    // Our own segment starts its reduce chain with our gradient (hop 0).
    for (let b = this.segStart[this.pos]; b < this.segStart[this.pos + 1]; b++) {
      out.push(this.send(MsgKind.ArReduce, b, 0, this.gViews[b]));
    }
    for (let b = 0; b < this.layout.count; b++) {
      if (this.flags[b] & PENDING) {
        this.flags[b] &= ~PENDING;
        this.addOwnAndForward(b, out);
      }
    }
    this.maybeFinish();
    return out;
  }

  loadModel(x: Float32Array): void {
    checkLength('loadModel(x)', x, this.dim);
    this.x.set(x);
  }

  protected enterEpoch(nb: PeerNeighbours): void {
    const ring = sortedMembers(nb, this.id);
    this.n = ring.length;
    this.pos = ring.indexOf(this.id);
    this.pred = ring[mod(this.pos - 1, this.n)];
    this.succ = ring[mod(this.pos + 1, this.n)];
    const count = this.layout.count;
    this.segStart = new Int32Array(this.n + 1);
    for (let s = 0; s <= this.n; s++) this.segStart[s] = Math.floor((s * count) / this.n);
    for (let s = 0; s < this.n; s++) {
      for (let b = this.segStart[s]; b < this.segStart[s + 1]; b++) this.segOfBlock[b] = s;
    }
    this.round = 0;
    this.contributed = false;
    this.full = 0;
    this.flags.fill(0);
  }

  protected handle(msg: Message): Envelope[] {
    const isReduce = msg.kind === MsgKind.ArReduce;
    if ((!isReduce && msg.kind !== MsgKind.ArGather) || this.n === 1 || msg.from !== this.pred) return this.reject();
    if (!isFloat32Block(msg, this.layout, this.evidence, ROBUST_DEFAULTS.maxAbsGradientSum)) return this.reject();
    const b = msg.block;
    const s = this.segOfBlock[b];
    // Hop at which this block reaches us; our position on the segment's chain fixes it.
    const hop = isReduce ? mod(this.pos - 1 - s, this.n) : mod(this.pos - s, this.n);
    if (msg.aux !== hop || hop > this.n - 2) return this.reject();

    if (msg.seq < this.round) {
      this.st.stale++;
      return [];
    }
    if (msg.seq !== this.round) return this.reject();

    const out: Envelope[] = [];
    if (isReduce) {
      if (this.flags[b] & REDUCE_IN) return this.reject();
      this.accViews[b].set(msg.data);
      this.flags[b] |= REDUCE_IN;
      if (this.contributed) this.addOwnAndForward(b, out);
      else this.flags[b] |= PENDING;
    } else {
      // The full sum passed through us on its way to the owner, so its reduce came first (FIFO link).
      const reducedHere = this.contributed && (s === this.pos || (this.flags[b] & REDUCE_IN) !== 0);
      if (!reducedHere || this.flags[b] & GATHER_IN) return this.reject();
      this.accViews[b].set(msg.data);
      this.flags[b] |= GATHER_IN;
      this.full++;
      if (hop < this.n - 2) out.push(this.send(MsgKind.ArGather, b, hop + 1, this.accViews[b]));
    }
    this.maybeFinish();
    return out;
  }

  /** Adds our gradient to a received partial sum of block b, then forwards it or starts its all-gather. */
  private addOwnAndForward(b: number, out: Envelope[]): void {
    const acc = this.acc;
    const g = this.g;
    const end = blockEnd(this.layout, b);
    for (let i = blockStart(this.layout, b); i < end; i++) acc[i] += g[i];
    const hop = mod(this.pos - 1 - this.segOfBlock[b], this.n);
    if (hop < this.n - 2) {
      out.push(this.send(MsgKind.ArReduce, b, hop + 1, this.accViews[b]));
      return;
    }
    this.full++; // we own this segment: the sum of all n gradients is complete
    out.push(this.send(MsgKind.ArGather, b, 0, this.accViews[b]));
  }

  private maybeFinish(): void {
    if (this.contributed && this.full === this.layout.count) this.finishRound(this.acc, this.n);
  }

  /**
   * x -= lr * sum / count; the next round starts. The accumulator is not cleared: envelopes returned
   * by this very call may view it, and every block of it is overwritten before it is read again.
   */
  private finishRound(sum: Float32Array, count: number): void {
    const x = this.x;
    const scale = this.lr / count;
    for (let i = 0; i < x.length; i++) x[i] -= scale * sum[i];
    this.flags.fill(0);
    this.full = 0;
    this.round++;
    this.contributed = false;
  }

  private send(kind: MsgKind, b: number, hop: number, data: Float32Array): Envelope {
    return envelope(this.succ, true, kind, this.id, this.epoch, this.round, b, blockStart(this.layout, b), hop, data);
  }
}

/** Default step 0.3: three real tabs reach 90% with it (e2e/baselines.spec.ts). */
export const ALLREDUCE_DESCRIPTOR = defineAlgorithm({
  name: 'allreduce',
  label: 'Ring-AllReduce SGD',
  defaultLr: 0.3,
  links: 'members',
  kinds: [MsgKind.ArReduce, MsgKind.ArGather],
  options: {},
  create: (opts) => new AllReduceSgd(opts),
});
