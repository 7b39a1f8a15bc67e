/**
 * Per-sender evidence of hostile or broken frames (issue 13): what a receiver refused or clipped,
 * out of how many frames. The runtime reports it in telemetry and the server decides whether a
 * sender is "byzantine-suspect"; the algorithm only counts. Bounded: a header's `from` is chosen
 * by whoever sent it, so at most ROBUST_DEFAULTS.maxEvidenceSenders senders are tracked.
 */
import type { PeerId } from './contract';
import { ROBUST_DEFAULTS } from './robust-config';

export interface SenderEvidence {
  /**
   * Frames of this sender that robust mixing judged: model frames it took (so could have clipped),
   * and frames refused for their content. R-FAST's running sums are not counted unless refused:
   * they cannot be clipped, and counting them would halve a clipped sender's share.
   */
  frames: number;
  /** Refused because a value exceeded the magnitude bound (finite, but would break the receiver). */
  magnitude: number;
  /** Refused because the seq jumped too far ahead of the newest held (ROBUST_DEFAULTS.maxSeqJump). */
  seqJumps: number;
  /** Taken, but pulled back to the clipping radius (robust mixing). */
  clipped: number;
  /**
   * A newer model frame that held exactly the block the sender sent before: a frozen model sent
   * as news (a replay of old frames). An honest peer's v moves at every step.
   */
  frozen: number;
  /**
   * Taken unclipped and not frozen, but pointing against the receiver's own block (cosine below
   * ROBUST_DEFAULTS.opposedCosine): a sign-flipped model once the models are close to zero. Counted
   * only where clipped and frozen are not, so no frame is held against its sender twice for it.
   */
  opposed: number;
  /**
   * R-FAST: running-sum frames of this sender that were stored, and those whose running sum
   * pointed against our own outgoing one while the other senders' agreed with it
   * (rfast-mass-opposition.ts).
   */
  massFrames: number;
  massOpposed: number;
}

export type EvidenceKind = 'magnitude' | 'seqJumps' | 'clipped' | 'frozen' | 'opposed';

/** A sender on probation (a late joiner): its clipped share, averaged, and the frames judged so far. */
interface Probation {
  clippedAvg: number;
  judged: number;
}

/**
 * Counts, per sender, what a receiver's robust mixing held against it.
 *
 * An honest joiner starts from a checkpoint or from a neighbour's model and then descends along
 * its own fresh tracker, so for dozens of steps it sits beyond the radius the settled peers'
 * distances set: the simulator ejected one 1.5 s after it joined (least squares, 8 peers, joined
 * at 10 s), clipped in 80 of its first 81 frames and in 2 of its next 400. So a joiner (a member
 * missing from this receiver's previous neighbour list), first heard once this receiver has
 * counted `afterSteps` steps' worth of frames, starts on probation (ROBUST_DEFAULTS.probation):
 * its model frames are still clipped like any other, but clipping is not held against it until
 * most of them pass unclipped (it has mixed its way into the swarm) or `maxSteps` steps' worth
 * have been judged. A frozen frame or one that points against ours ends the probation at once and
 * counts: an honest joiner's model is far, but not a replay, and it points the way of ours (a copy
 * of a neighbour's, or a checkpoint of the same run). Members of the previous list are never on
 * probation, also when a new epoch makes them new neighbours: a hostile peer that survived a
 * verdict would otherwise start afresh with every receiver. Refusals count from the first frame:
 * honest code sends none.
 */
export class Evidence {
  private readonly bySender = new Map<PeerId, SenderEvidence>();
  private readonly onProbation = new Map<PeerId, Probation>();
  /** The members of the last neighbour list, and the joiners among them (absent from the list before) not heard yet. */
  private known = new Set<PeerId>();
  private readonly joiners = new Set<PeerId>();
  private lists = 0;
  /** Frames counted from every sender: past `settledFrames`, a newly heard joiner starts on probation. */
  private total = 0;
  private readonly settledFrames: number;
  private readonly maxProbation: number;
  private readonly alpha: number;

  /** `blocks`: model frames per step of one sender (the model's block count). */
  constructor(blocks = 1, t: ProbationTuning = ROBUST_DEFAULTS.probation) {
    const b = Math.max(1, Math.floor(blocks));
    this.settledFrames = t.afterSteps * b;
    this.maxProbation = t.maxSteps * b;
    this.alpha = 2 / (t.windowSteps * b + 1);
  }

  /** The record of `from`, created on first use; null when the sender is not an id or the map is full. */
  private of(from: PeerId): SenderEvidence | null {
    let e = this.bySender.get(from);
    if (e === undefined) {
      if (!Number.isSafeInteger(from) || from < 0 || this.bySender.size >= ROBUST_DEFAULTS.maxEvidenceSenders) return null;
      e = { frames: 0, magnitude: 0, seqJumps: 0, clipped: 0, frozen: 0, opposed: 0, massFrames: 0, massOpposed: 0 };
      this.bySender.set(from, e);
    }
    // A joiner's first frame: its probation starts, and what a former life of it earned is
    // forgotten but for refusals (its model is a new one; honest code never sends a refused frame).
    if (this.joiners.size > 0 && this.joiners.delete(from) && this.total >= this.settledFrames) {
      this.onProbation.set(from, { clippedAvg: 1, judged: 0 });
      e.clipped = e.frozen = e.opposed = e.massFrames = e.massOpposed = 0;
    }
    return e;
  }

  /**
   * The members of a neighbour list this receiver was given (its first, an epoch's or a grow's):
   * a member missing from the previous list is a joiner (or rejoins), whose frames start on
   * probation if it had not been heard since it joined. A member of the previous list is not,
   * also when a new epoch makes it a new neighbour.
   */
  meet(members: readonly PeerId[]): void {
    const first = this.lists++ === 0;
    const previous = this.known;
    this.known = new Set(members.slice(0, ROBUST_DEFAULTS.maxEvidenceSenders));
    for (const id of this.joiners) if (!this.known.has(id)) this.joiners.delete(id);
    if (first) return;
    for (const id of this.known) {
      if (previous.has(id)) continue;
      this.joiners.add(id);
      // One that left and joined again starts afresh: its old frames tell nothing of its new model.
      this.onProbation.delete(id);
    }
  }

  /** One frame of `from` reached the algorithm. */
  frame(from: PeerId): void {
    const e = this.of(from);
    if (e === null) return;
    e.frames++;
    this.total++;
  }

  /** One running-sum frame of `from` was stored (R-FAST), opposed or not. */
  massFrame(from: PeerId, opposed: boolean): void {
    const e = this.of(from);
    // On probation its sums are not judged either: a joiner's first sums are a few pushes of a tracker still settling.
    if (e === null || this.onProbation.has(from)) return;
    e.massFrames++;
    if (opposed) e.massOpposed++;
  }

  /** The frame just counted was refused for its content or clipped. */
  note(from: PeerId, kind: EvidenceKind): void {
    const e = this.of(from);
    if (e !== null) e[kind]++;
  }

  /**
   * What robust mixing found in a model frame it took: clipped, frozen (a replay), or, only when
   * neither, opposed. One call per mixed frame, clean ones too, so every algorithm counts the same
   * way and a sender's probation can end.
   */
  mixed(from: PeerId, clipped: boolean, frozen: boolean, opposed: boolean): void {
    const p = this.onProbation.get(from);
    if (p !== undefined) {
      if (!frozen && !opposed) return this.probe(from, p, clipped);
      // Not what an honest joiner sends (its model is far, but neither a replay nor turned against ours): it counts.
      this.release(from, 1);
    }
    if (clipped) this.note(from, 'clipped');
    if (frozen) this.note(from, 'frozen');
    else if (opposed && !clipped) this.note(from, 'opposed');
  }

  /** Whether `from` is on probation (its model frames not yet held against it). */
  probation(from: PeerId): boolean {
    return this.onProbation.has(from);
  }

  /** A copy, by sender. */
  snapshot(): Map<PeerId, SenderEvidence> {
    return new Map([...this.bySender].map(([k, v]) => [k, { ...v }] as const));
  }

  /**
   * A frame of a sender on probation: averaged, not held. When probation ends the frames mixed
   * during it are forgotten (refused ones stay), so its shares start from what follows.
   */
  private probe(from: PeerId, p: Probation, clipped: boolean): void {
    p.clippedAvg += this.alpha * ((clipped ? 1 : 0) - p.clippedAvg);
    p.judged++;
    if (p.clippedAvg >= 0.5 && p.judged < this.maxProbation) return;
    this.release(from, 0);
  }

  /** Ends a probation: the frames mixed during it are forgotten but for `keep` (the current one). */
  private release(from: PeerId, keep: number): void {
    this.onProbation.delete(from);
    const e = this.bySender.get(from);
    if (e !== undefined) e.frames = e.magnitude + e.seqJumps + keep;
  }
}

/** When a joiner is on probation, and for how long (ROBUST_DEFAULTS.probation). */
export interface ProbationTuning {
  /** Steps' worth of frames (times the block count) the receiver counts, from all senders, before joiners it hears start on probation. */
  afterSteps: number;
  /** Steps' worth of frames its clipped share averages over (an exponential average); probation ends once it falls below a half. */
  windowSteps: number;
  /** Steps' worth of frames judged at most on probation; then its frames count like anyone's. */
  maxSteps: number;
}
