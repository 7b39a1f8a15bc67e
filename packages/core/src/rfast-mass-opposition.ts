/**
 * R-FAST: tracker mass that runs against the neighbourhood (issue 13). A running sum is what its
 * sender pushed us over the epoch, a share of its z at each push; an honest z tracks the same
 * average gradient as ours, so on IID shards every honest sender's running sum points the way of
 * what we pushed to our own out-neighbours. A sender that negates its running sums (its models
 * honest, so model clipping never sees it) drains the swarm's trackers: nothing in one frame's
 * increment shows it (a probe measured cosines around 0 for honest increments on MNIST), but the
 * sums themselves do. On MNIST (8 peers, seed 1; a probe, not committed) the cosine of an honest
 * sender's running sum with our own outgoing one had a median of 0.79-0.89 (10th percentile
 * 0.57-0.83, none negative) over 200 steps, also with a 4x-slow peer and 30% loss; a sign-flipper's
 * -0.59 to -0.77 (all negative).
 *
 * On non-IID shards the honest cosines scatter around 0 (60-78% negative): the test then says
 * nothing. So a sender is judged only where the others agree with us (the lowest of the other
 * senders' latest cosines on the block at least `agreeCosine`): that holds for IID neighbours and
 * fails for non-IID ones and for a receiver whose senders are mostly hostile.
 *
 * Only senders whose running sums started with ours are judged: the links of the neighbour lists
 * this peer's epoch began with. A link added within the epoch (RFast.grow: a joiner) carries sums
 * that start at the join, while ours go back to the epoch's start, when the gradients pointed
 * elsewhere. (In CI an honest tab that joined 200 steps into the run was ejected; the log did not
 * say on which evidence, and this test was one candidate.) Judging such a sender against what we
 * pushed since its link began was tried and ejected honest joiners on a ring (BENCHMARKS.md
 * section 5), so a sender that joins by a grow is judged from the next epoch on.
 *
 * A frame judged opposed is evidence against its sender (robust-verdict.ts ejects on enough of
 * it from two receivers; leaving, the sender's mass is unwound from every receiver's z by
 * RFast.grow). Its mass is still consumed: withholding it until the sum agrees stalled 30 of
 * core's and the simulator's exact least-squares tests, whose heterogeneous honest sums point
 * against each other while others agree.
 */
import type { BlockLayout } from './blocks';
import type { PeerId } from './contract';
import { ROBUST_DEFAULTS } from './robust-config';

export type MassJudgement = 'unjudged' | 'agrees' | 'opposed';

export class MassOpposition {
  /** Latest cosine of (sender j, block) with our own outgoing sum; NaN until judged. */
  private readonly cosines: Float64Array;
  private readonly count: number;
  private readonly senders: number;
  /** Per sender index: whether its sums started with ours (see above). */
  private readonly judged: Uint8Array;

  /**
   * `ids`: the senders (in-neighbours on G_C) by link index; `started`: those whose running sums
   * started with ours, null for all (a new epoch).
   */
  constructor(
    private readonly ids: readonly PeerId[],
    layout: BlockLayout,
    started: ReadonlySet<PeerId> | null = null,
    private readonly agreeCosine: number = ROBUST_DEFAULTS.massAgreeCosine,
    private readonly opposedCosine: number = ROBUST_DEFAULTS.opposedCosine,
  ) {
    this.count = layout.count;
    this.senders = ids.length;
    this.cosines = new Float64Array(ids.length * layout.count).fill(Number.NaN);
    this.judged = Uint8Array.from(ids, (id) => (started === null || started.has(id) ? 1 : 0));
  }

  /** The senders judged, for the lists that follow a grow. */
  judgedSenders(): Set<PeerId> {
    return new Set(this.ids.filter((_, j) => this.judged[j] === 1));
  }

  /**
   * Judges sender j's running sum `sums[at .. at + n)` (block `block`, starting at `offset` in the
   * model) against what we pushed on the same block (`pushed`: one running sum per out-neighbour).
   */
  judge(j: number, block: number, offset: number, n: number, sums: Float64Array, at: number, pushed: readonly Float64Array[]): MassJudgement {
    if (this.judged[j] === 0) return 'unjudged';
    let dot = 0;
    let own = 0;
    let theirs = 0;
    for (let t = 0; t < n; t++) {
      let o = 0;
      for (let k = 0; k < pushed.length; k++) o += pushed[k][offset + t];
      const s = sums[at + t];
      dot += s * o;
      own += o * o;
      theirs += s * s;
    }
    if (!(own > 0 && theirs > 0)) return 'unjudged';
    const cosine = dot / Math.sqrt(own * theirs);
    this.cosines[j * this.count + block] = cosine;
    if (!this.othersAgree(j, block)) return 'unjudged';
    return cosine < this.opposedCosine ? 'opposed' : 'agrees';
  }

  /** The other senders heard on this block all point our way (at least one of them heard). */
  private othersAgree(j: number, block: number): boolean {
    let heard = 0;
    for (let i = 0; i < this.senders; i++) {
      if (i === j) continue;
      const c = this.cosines[i * this.count + block];
      if (Number.isNaN(c)) continue;
      if (!(c >= this.agreeCosine)) return false;
      heard++;
    }
    return heard > 0;
  }
}
