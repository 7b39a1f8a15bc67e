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

export class Evidence {
  private readonly bySender = new Map<PeerId, SenderEvidence>();

  /** The record of `from`, created on first use; null when the sender is not an id or the map is full. */
  private of(from: PeerId): SenderEvidence | null {
    let e = this.bySender.get(from);
    if (e !== undefined) return e;
    if (!Number.isSafeInteger(from) || from < 0 || this.bySender.size >= ROBUST_DEFAULTS.maxEvidenceSenders) return null;
    e = { frames: 0, magnitude: 0, seqJumps: 0, clipped: 0, frozen: 0, opposed: 0, massFrames: 0, massOpposed: 0 };
    this.bySender.set(from, e);
    return e;
  }

  /** One frame of `from` reached the algorithm. */
  frame(from: PeerId): void {
    const e = this.of(from);
    if (e !== null) e.frames++;
  }

  /** One running-sum frame of `from` was stored (R-FAST), opposed or not. */
  massFrame(from: PeerId, opposed: boolean): void {
    const e = this.of(from);
    if (e === null) return;
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
   * neither, opposed. One call per mixed frame, so every algorithm counts the same way.
   */
  mixed(from: PeerId, clipped: boolean, frozen: boolean, opposed: boolean): void {
    if (clipped) this.note(from, 'clipped');
    if (frozen) this.note(from, 'frozen');
    else if (opposed && !clipped) this.note(from, 'opposed');
  }

  /** A copy, by sender. */
  snapshot(): Map<PeerId, SenderEvidence> {
    return new Map([...this.bySender].map(([k, v]) => [k, { ...v }] as const));
  }
}
