import type { PeerId } from '@starling/core';
import type { PeerTable } from './peer-table';

/**
 * Flags peers whose WebRTC frames other peers' robust mixing held against them (issue 13). Each
 * peer reports, per sender, how many of its frames the algorithm refused for their content (finite
 * but out of bounds, a seq jump: honest code never sends those) and how many it clipped. One
 * report is never enough, since the reporter may be the liar: a sender is flagged once
 * `minReporters` distinct live peers hold hard evidence (refusals) or mostly-clipped frames against it.
 * On hard evidence alone the run host also ejects it (`ejectMs`): clipping a disturbed but honest
 * neighbour is possible, refusing an honest frame for its content is not.
 */
export interface HostileFramesTuning {
  /** Distinct reporters needed before a sender is flagged. */
  minReporters: number;
  /** A report is hard evidence with at least this many frames refused for their content ... */
  minRefused: number;
  /** ... or, once it covers minFrames frames, with at least this share of them clipped. */
  clipShare: number;
  minFrames: number;
  /** How long an ejected peer's address may not join again, ms; 0: flag only, never eject. */
  ejectMs: number;
}

interface Tally {
  reporters: PeerId[];
  /** Reporters holding refusals (not just clipping) against it. */
  hard: number;
  refused: number;
  clipped: number;
  frames: number;
}

/**
 * Re-reads the live peers' latest evidence and flags the senders it convicts; returns those
 * convicted on hard evidence (to eject). Call it about once a second.
 */
export function checkHostileFrames(table: PeerTable, tuning: HostileFramesTuning, now: number): PeerId[] {
  const bySender = new Map<PeerId, Tally>();
  for (const p of table.live()) {
    for (const e of p.latest?.evidence ?? []) {
      if (e.peer === p.id) continue; // about itself: means nothing
      const hard = e.refused >= tuning.minRefused;
      const clipped = e.frames >= tuning.minFrames && e.clipped >= tuning.clipShare * e.frames;
      if (!hard && !clipped) continue;
      let t = bySender.get(e.peer);
      if (t === undefined) bySender.set(e.peer, (t = { reporters: [], hard: 0, refused: 0, clipped: 0, frames: 0 }));
      t.reporters.push(p.id);
      if (hard) t.hard++;
      t.refused += e.refused;
      t.clipped += e.clipped;
      t.frames += e.frames;
    }
  }
  const convicted: PeerId[] = [];
  for (const [sender, t] of bySender) {
    if (t.reporters.length < tuning.minReporters) continue;
    if (t.hard >= tuning.minReporters) convicted.push(sender);
    const who = t.reporters.sort((a, b) => a - b).join(', ');
    table.flag(
      sender,
      'hostile-frames',
      `peers ${who} refused ${t.refused} of its ${t.frames} frames for their content and clipped ${t.clipped} (robust mixing)`,
      now,
    );
  }
  return convicted.sort((a, b) => a - b);
}
