/**
 * Delta bases of R-FAST's compact frames (docs/algorithms.md 1.7), for both kinds of slot (v and
 * running sums). A compact frame carries a block's value minus a base: an earlier frame of the same
 * (sender, kind, block) that the receiver acknowledged keeping. Both sides hold the base's exact
 * values, so the receiver rebuilds exactly what the sender computed.
 *
 * The handshake, per (link, kind, block): the sender marks one frame `keep` (its candidate); the
 * receiver keeps that frame's value beside the base it holds and acknowledges it on the reliable
 * channel; on the ack the sender switches to the candidate. The first frame built on the candidate
 * tells the receiver the switch happened; every frame on the old base was sent before it, so is
 * older, and the old base can go. A candidate whose ack has not come back after a few sends is
 * given up and the next frame proposes again. A frame on a base the receiver does not hold is a
 * delayed frame, never a wrong one.
 */
import type { BlockLayout } from './blocks';
import { seqOrder } from './robust-config';

/** No candidate held. */
export const NO_SEQ = -1;

/** Receiver side: per (in-link, block) the base the sender uses and at most one candidate. */
export class ReceivedBases {
  private base = new Float64Array(0);
  private cand = new Float64Array(0);
  readonly baseSeq: Float64Array;
  readonly candSeq: Float64Array;

  constructor(
    private readonly links: number,
    private readonly layout: BlockLayout,
  ) {
    this.baseSeq = new Float64Array(links * layout.count); // seq 0: the zero vector both sides start from
    this.candSeq = new Float64Array(links * layout.count).fill(NO_SEQ);
  }

  /** Which held value a frame on base `seq` builds on, or null when neither is held. */
  which(j: number, block: number, seq: number): 'base' | 'cand' | null {
    const slot = j * this.layout.count + block;
    if (seq === this.baseSeq[slot]) return 'base';
    if (seq === this.candSeq[slot]) return 'cand';
    return null;
  }

  /**
   * Does a `keep` frame of this seq replace the candidate? Only a newer one (see the class note),
   * by the same bounded-jump rule as the newest-wins check: a wild candidate seq is replaced.
   */
  wantsCandidate(j: number, block: number, seq: number): boolean {
    const held = this.candSeq[j * this.layout.count + block];
    if (held === NO_SEQ) return true;
    const order = seqOrder(seq, held);
    return order === 'newer' || order === 'resync';
  }

  /** The held values (a full-length vector per link: link j's block at j * dim + offset). */
  values(which: 'base' | 'cand'): Float64Array {
    this.allocate();
    return which === 'base' ? this.base : this.cand;
  }

  /** The sender built on the candidate: it becomes the base. */
  promote(j: number, block: number, offset: number, n: number): void {
    const at = j * this.layout.dim + offset;
    this.base.set(this.cand.subarray(at, at + n), at);
    const slot = j * this.layout.count + block;
    this.baseSeq[slot] = this.candSeq[slot];
    this.candSeq[slot] = NO_SEQ;
  }

  keep(j: number, block: number, offset: number, seq: number, value: ArrayLike<number>): void {
    this.allocate();
    this.cand.set(value, j * this.layout.dim + offset);
    this.candSeq[j * this.layout.count + block] = seq;
  }

  /**
   * Takes over, for every link that `from` (the same peer's bases before its links changed) also
   * had, that link's base, candidate and their seqs: `map[j]` is link j's index in `from`, or -1
   * for a new link, which starts from the zero base as before.
   */
  carry(from: ReceivedBases, map: Int32Array): void {
    const { dim, count } = this.layout;
    map.forEach((k, j) => {
      if (k < 0) return;
      this.baseSeq.set(from.baseSeq.subarray(k * count, (k + 1) * count), j * count);
      this.candSeq.set(from.candSeq.subarray(k * count, (k + 1) * count), j * count);
      if (from.base.length === 0) return;
      this.allocate();
      this.base.set(from.base.subarray(k * dim, (k + 1) * dim), j * dim);
      this.cand.set(from.cand.subarray(k * dim, (k + 1) * dim), j * dim);
    });
  }

  /** Only compact frames use bases: allocated on the first one, so float32 runs pay nothing. */
  private allocate(): void {
    if (this.base.length > 0) return;
    this.base = new Float64Array(this.links * this.layout.dim);
    this.cand = new Float64Array(this.links * this.layout.dim);
  }
}

/** Sender side: per (out-link, block) the acknowledged base and the outstanding candidate. */
export class SentBases {
  /** Base values per link, full length. */
  readonly base: Float64Array[];
  private readonly cand: Float64Array[];
  private readonly baseSeq: Float64Array;
  private readonly candSeq: Float64Array;
  private readonly sinceCand: Uint16Array;
  /** Per (link, block): our step when the base in use was proposed, and when the outstanding candidate was. */
  private readonly baseStep: Float64Array;
  private readonly candStep: Float64Array;

  constructor(
    links: number,
    private readonly layout: BlockLayout,
    private readonly retrySends: number,
    /** Our steps a base serves before the next candidate (RFAST_DEFAULTS.candidateGapSteps). */
    private readonly gapSteps = 0,
  ) {
    this.base = Array.from({ length: links }, () => new Float64Array(layout.dim));
    this.cand = Array.from({ length: links }, () => new Float64Array(layout.dim));
    this.baseSeq = new Float64Array(links * layout.count);
    this.candSeq = new Float64Array(links * layout.count).fill(NO_SEQ);
    this.sinceCand = new Uint16Array(links * layout.count);
    // The first frame of every block proposes at once: there is no base yet but zeros.
    this.baseStep = new Float64Array(links * layout.count).fill(-Infinity);
    this.candStep = new Float64Array(links * layout.count);
  }

  baseSeqOf(k: number, block: number): number {
    return this.baseSeq[k * this.layout.count + block];
  }

  /**
   * A frame of seq `seq` carrying `value` (the block's rebuilt value) is about to go to link k at
   * our step `step`: returns whether it should ask to be kept (it then becomes the candidate).
   */
  propose(k: number, block: number, offset: number, seq: number, value: ArrayLike<number>, step = 0): boolean {
    const slot = k * this.layout.count + block;
    if (this.candSeq[slot] !== NO_SEQ ? this.sinceCand[slot] < this.retrySends : step - this.baseStep[slot] < this.gapSteps) {
      this.sinceCand[slot]++;
      return false;
    }
    this.cand[k].set(value, offset);
    this.candSeq[slot] = seq;
    this.candStep[slot] = step;
    this.sinceCand[slot] = 0;
    return true;
  }

  /** As ReceivedBases.carry, for the sending side (`map[k]`: out-link k's index in `from`, or -1). */
  carry(from: SentBases, map: Int32Array): void {
    const count = this.layout.count;
    map.forEach((o, k) => {
      if (o < 0) return;
      this.base[k].set(from.base[o]);
      this.cand[k].set(from.cand[o]);
      this.baseSeq.set(from.baseSeq.subarray(o * count, (o + 1) * count), k * count);
      this.candSeq.set(from.candSeq.subarray(o * count, (o + 1) * count), k * count);
      this.sinceCand.set(from.sinceCand.subarray(o * count, (o + 1) * count), k * count);
      this.baseStep.set(from.baseStep.subarray(o * count, (o + 1) * count), k * count);
      this.candStep.set(from.candStep.subarray(o * count, (o + 1) * count), k * count);
    });
  }

  /** The receiver kept frame `seq`: when it is the candidate, it becomes the base. */
  acknowledge(k: number, block: number, offset: number, n: number, seq: number): boolean {
    const slot = k * this.layout.count + block;
    if (this.candSeq[slot] !== seq) return false;
    this.base[k].set(this.cand[k].subarray(offset, offset + n), offset);
    this.baseSeq[slot] = seq;
    this.baseStep[slot] = this.candStep[slot];
    this.candSeq[slot] = NO_SEQ;
    this.sinceCand[slot] = 0;
    return true;
  }
}
