/**
 * Who is hostile, judged from several peers' evidence (issue 13). Every receiver counts, per
 * sender, the frames its robust mixing refused for their content, clipped, found frozen or found
 * pointing against its own model (robust-evidence.ts);
 * one report is never enough, since the reporter may be the liar. The server applies this rule to
 * its peers' telemetry, and the simulator to its peers' algorithms, so the attack matrix measures
 * the defence the product runs.
 */
import type { PeerId } from './contract';
import { ROBUST_DEFAULTS } from './robust-config';
import type { SenderEvidence } from './robust-evidence';

/** What one receiver holds against one sender. */
export interface EvidenceAgainst {
  peer: PeerId;
  /** Frames of the sender its robust mixing judged (model frames it could clip, and refused ones). */
  frames: number;
  /** Refused for their content: finite but out of bounds, or a seq jump. Honest code sends none. */
  refused: number;
  /** Taken, but pulled back to the clipping radius. */
  clipped: number;
  /** Newer model frames identical to the sender's previous one (replayed, frozen). */
  frozen: number;
  /** Model frames taken unclipped but pointing against the reporter's own (a sign flip near zero); absent: 0. */
  opposed?: number;
  /**
   * R-FAST: running-sum frames stored, and those whose sum pointed against the reporter's own
   * outgoing one while its other senders' agreed (rfast-mass-opposition.ts); absent: 0.
   */
  massFrames?: number;
  massOpposed?: number;
}

export interface PeerEvidence {
  reporter: PeerId;
  evidence: readonly EvidenceAgainst[];
  /** The reporter's own steps so far (the server: its telemetry; the simulator: its count); absent: unknown. */
  steps?: number;
}

export interface VerdictTuning {
  /** Distinct reporters needed before a sender is flagged (or ejected). */
  minReporters: number;
  /** A report is hard evidence with at least this many frames refused for their content ... */
  minRefused: number;
  /** ... and it holds a sender's frames as mostly clipped once it covers minFrames frames with at least this share clipped or frozen. */
  clipShare: number;
  minFrames: number;
  /**
   * Eject on clipping too, when minReporters reporters each clipped (or found frozen) at least this
   * share of at least minFrames of the sender's frames (> 1: clipping alone only flags). Refusals
   * always eject.
   */
  ejectClipShare: number;
  /**
   * Eject when minReporters reporters each found at least this share of at least minFrames of the
   * sender's model frames opposed (taken unclipped, but pointing against their own model). Honest
   * frames are not (cosines 0.957-1.000 in the MNIST bench), so a share far below ejectClipShare
   * is already conclusive; a sign-flipper whose pull has dragged its receivers near zero gets part
   * of its frames clipped, part opposed and part neither (AD-PSGD: 37-69% opposed at step 50). Not
   * subject to farFromAllShare: an honest straggler is far, not opposed, and an attacker could
   * otherwise lie in its own report to stay in.
   */
  ejectOpposedShare: number;
  /**
   * At most this share of the reporting peers is ejected by one verdict, the best-evidenced first
   * (at least one); the rest stay flagged. When more qualify, the evidence itself is suspect: a
   * hostile majority among some peers' neighbours let damage through to honest peers, whose frames
   * then look hostile too (the simulator ejected 7 of 8 peers in one verdict before this cap).
   */
  maxEjectShare: number;
  /**
   * Clipping does not eject a sender whose own report holds more than this share of the senders it
   * judged (at least minReporters of them) as mostly clipped: it is far from everyone and everyone
   * from it, which is what an honest straggler looks like (a late joiner, a starved peer), while a
   * sign-flipper mixes its own model honestly. It stays flagged, and its frames stay clipped; an
   * attacker that lies in its own report to get this only keeps being clipped. Refusals still eject.
   */
  farFromAllShare: number;
  /**
   * Clipping does not eject a sender that has taken at least this many times the steps of the
   * reporters that hold its frames as mostly clipped (their median): a peer that trains much faster
   * than its receivers is far from them because it moved, as an honest straggler is far because it
   * did not. AD-PSGD on home links runs its passive peers 15-25x as many steps as its active ones,
   * whose radius (3 times the nearer of their two senders' distances) then clipped 102 of a fast
   * honest peer's 104 frames, and the verdict ejected it (BENCHMARKS.md section 3, session 45). Its
   * frames stay clipped, so an attacker that claims steps it did not take only keeps being
   * clipped; replays (frozen frames) and opposed frames still eject. 0: off.
   */
  aheadFactor: number;
}

export interface SenderVerdict {
  sender: PeerId;
  /** Reporters whose evidence counted, ascending. */
  reporters: PeerId[];
  refused: number;
  clipped: number;
  frozen: number;
  opposed: number;
  /** Running-sum frames the reporters found opposed (R-FAST), out of massFrames. */
  massOpposed: number;
  massFrames: number;
  frames: number;
  /** Convicted: remove it from the run (refused by enough reporters, or clipped past ejectClipShare). */
  eject: boolean;
  /**
   * The rules that convict it (empty: not convicted, only flagged; a convicted sender beyond
   * maxEjectShare keeps its grounds but not `eject`), so a log or a bench says why a peer was
   * ejected. Each is met by at least minReporters reporters, except that reporters holding its model
   * frames opposed and those holding its running sums opposed count together, and both are named.
   */
  grounds: VerdictGround[];
  /**
   * Why mostly clipped frames did not convict it, when that rule alone was met: it is far from all
   * its own senders (farFromAllShare) or far ahead of its reporters in steps (aheadFactor).
   */
  spared?: 'far-from-all' | 'ahead';
}

/**
 * A rule of the verdict: frames refused for their content, model frames mostly clipped or frozen,
 * model frames opposed, running sums opposed (R-FAST).
 */
export type VerdictGround = 'refused' | 'clipped' | 'opposed' | 'mass-opposed';

/** A receiver's evidence (Algorithm.senderEvidence) as the rule reads it: refusals of either kind together. */
export function evidenceAgainst(ev: ReadonlyMap<PeerId, SenderEvidence>): EvidenceAgainst[] {
  const out: EvidenceAgainst[] = [];
  for (const [peer, e] of ev) {
    out.push({ peer, frames: e.frames, refused: e.magnitude + e.seqJumps, clipped: e.clipped, frozen: e.frozen, opposed: e.opposed, massFrames: e.massFrames, massOpposed: e.massOpposed });
  }
  return out;
}

interface Tally {
  reporters: PeerId[];
  hard: number;
  mostlyClipped: number;
  /** Of those, reporters that hold its frames mostly frozen or opposed without counting the clipped ones. */
  mostlyHeldUnclipped: number;
  /** Steps of the reporters counted in mostlyClipped (those that report them). */
  clippedBySteps: number[];
  /** Reporters that hold its model frames or its running sums as opposed (either counts toward minReporters). */
  mostlyOpposed: number;
  modelOpposedBy: number;
  massOpposedBy: number;
  refused: number;
  clipped: number;
  frozen: number;
  opposed: number;
  massOpposed: number;
  massFrames: number;
  frames: number;
}

/** Model frames a report holds against a sender: mixed as if honest news, but clipped, frozen or opposed. */
export function heldFrames(e: EvidenceAgainst): number {
  return e.clipped + e.frozen + (e.opposed ?? 0);
}

/** What one report holds against one sender, by the tuning's thresholds. */
function weigh(e: EvidenceAgainst, t: VerdictTuning): { hard: boolean; seen: boolean; clipped: boolean; opposed: boolean; massOpposed: boolean } {
  const seen = e.frames >= t.minFrames;
  const massFrames = e.massFrames ?? 0;
  // Model frames opposed, or running sums: either share, over enough frames of its kind.
  return {
    hard: e.refused >= t.minRefused,
    seen,
    clipped: seen && heldFrames(e) >= t.clipShare * e.frames,
    opposed: seen && (e.opposed ?? 0) >= t.ejectOpposedShare * e.frames,
    massOpposed: massFrames >= t.minFrames && (e.massOpposed ?? 0) >= t.ejectOpposedShare * massFrames,
  };
}

/**
 * Whether this one report counts against its sender in a verdict (refusals, mostly clipped, or
 * opposed): a peer whose evidence against a sender starts to count sends its telemetry at once
 * instead of at its next interval, and the server judges on it, so a verdict does not wait a
 * telemetry interval and a judging interval (one to two seconds, 25-170 steps of a tab).
 */
export function reportCounts(e: EvidenceAgainst, t: VerdictTuning = ROBUST_DEFAULTS.verdict): boolean {
  const w = weigh(e, t);
  return w.hard || w.clipped || w.opposed || w.massOpposed;
}

/** The senders the reports flag, ascending by id; `eject` marks those to remove. Reports about oneself count for nothing. */
export function judgeSenders(reports: Iterable<PeerEvidence>, t: VerdictTuning = ROBUST_DEFAULTS.verdict): SenderVerdict[] {
  const bySender = new Map<PeerId, Tally>();
  const farFromAll = new Set<PeerId>();
  const stepsOf = new Map<PeerId, number>();
  let reporters = 0;
  for (const { reporter, evidence, steps } of reports) {
    reporters++;
    if (steps !== undefined) stepsOf.set(reporter, steps);
    if (holdsMostClipped(reporter, evidence, t)) farFromAll.add(reporter);
    for (const e of evidence) {
      if (e.peer === reporter) continue;
      const { hard, seen, clipped, opposed, massOpposed } = weigh(e, t);
      if (!hard && !clipped && !opposed && !massOpposed) continue;
      const held = heldFrames(e);
      let s = bySender.get(e.peer);
      if (s === undefined) bySender.set(e.peer, (s = { reporters: [], hard: 0, mostlyClipped: 0, mostlyHeldUnclipped: 0, clippedBySteps: [], mostlyOpposed: 0, modelOpposedBy: 0, massOpposedBy: 0, refused: 0, clipped: 0, frozen: 0, opposed: 0, massOpposed: 0, massFrames: 0, frames: 0 }));
      s.reporters.push(reporter);
      if (hard) s.hard++;
      if (seen && held >= t.ejectClipShare * e.frames) {
        s.mostlyClipped++;
        if (steps !== undefined) s.clippedBySteps.push(steps);
        if (held - e.clipped >= t.ejectClipShare * e.frames) s.mostlyHeldUnclipped++;
      }
      if (opposed || massOpposed) s.mostlyOpposed++;
      if (opposed) s.modelOpposedBy++;
      if (massOpposed) s.massOpposedBy++;
      s.refused += e.refused;
      s.clipped += e.clipped;
      s.frozen += e.frozen;
      s.opposed += e.opposed ?? 0;
      s.massOpposed += e.massOpposed ?? 0;
      s.massFrames += e.massFrames ?? 0;
      s.frames += e.frames;
    }
  }
  const out: SenderVerdict[] = [];
  const convicted: { v: SenderVerdict; s: Tally }[] = [];
  for (const [sender, s] of bySender) {
    if (s.reporters.length < t.minReporters) continue;
    const grounds: VerdictGround[] = [];
    if (s.hard >= t.minReporters) grounds.push('refused');
    let spared: SenderVerdict['spared'];
    if (s.mostlyClipped >= t.minReporters) {
      if (farFromAll.has(sender)) spared = 'far-from-all';
      else if (isAhead(stepsOf.get(sender), s.clippedBySteps, t.aheadFactor) && s.mostlyHeldUnclipped < t.minReporters) spared = 'ahead';
      else grounds.push('clipped');
    }
    if (s.mostlyOpposed >= t.minReporters) {
      if (s.modelOpposedBy > 0) grounds.push('opposed');
      if (s.massOpposedBy > 0) grounds.push('mass-opposed');
    }
    const v: SenderVerdict = { sender, reporters: s.reporters.sort((a, b) => a - b), refused: s.refused, clipped: s.clipped, frozen: s.frozen, opposed: s.opposed, massOpposed: s.massOpposed, massFrames: s.massFrames, frames: s.frames, eject: false, grounds };
    if (spared !== undefined) v.spared = spared;
    if (grounds.length > 0) convicted.push({ v, s });
    out.push(v);
  }
  // Strongest evidence first: more reporters with refusals, then with nearly all frames held, then opposed, then more refusals.
  convicted.sort(
    (a, b) => b.s.hard - a.s.hard || b.s.mostlyClipped - a.s.mostlyClipped || b.s.mostlyOpposed - a.s.mostlyOpposed || b.s.refused - a.s.refused || a.v.sender - b.v.sender,
  );
  const cap = Math.max(1, Math.floor(t.maxEjectShare * reporters));
  for (const { v } of convicted.slice(0, cap)) v.eject = true;
  return out.sort((a, b) => a.sender - b.sender);
}

/** Whether a sender has taken at least `factor` times the median steps of the reporters that clip it (aheadFactor). */
function isAhead(senderSteps: number | undefined, reporterSteps: number[], factor: number): boolean {
  if (!(factor > 0) || senderSteps === undefined || reporterSteps.length === 0) return false;
  const sorted = [...reporterSteps].sort((a, b) => a - b);
  const median = sorted[(sorted.length - 1) >> 1];
  return senderSteps >= factor * Math.max(1, median);
}

/** Whether a reporter holds more than farFromAllShare of the senders it judged (at least minReporters) as mostly clipped. */
function holdsMostClipped(reporter: PeerId, evidence: readonly EvidenceAgainst[], t: VerdictTuning): boolean {
  let judged = 0;
  let held = 0;
  for (const e of evidence) {
    if (e.peer === reporter || e.frames < t.minFrames) continue;
    judged++;
    if (heldFrames(e) >= t.clipShare * e.frames) held++;
  }
  return judged >= t.minReporters && held > t.farFromAllShare * judged;
}
