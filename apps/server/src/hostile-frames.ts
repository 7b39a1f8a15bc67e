import { judgeSenders, type PeerId, type VerdictTuning } from '@starling/core';
import type { PeerTable } from './peer-table';

/**
 * Flags peers whose WebRTC frames other peers' robust mixing held against them (issue 13), by
 * core's rule (robust-verdict.ts: the simulator's attack matrix measures the same one). Each peer
 * reports, per sender, how many of its frames the algorithm refused for their content and how
 * many it clipped. A sender that enough distinct live peers refused frames of, or clipped nearly
 * every model frame of, is also ejected by the run host (`ejectMs`).
 */
export interface HostileFramesTuning extends VerdictTuning {
  /** How long an ejected peer's address may not join again, ms; 0: flag only, never eject. */
  ejectMs: number;
}

/** What a flag says about a sender the clipping rule spared (SenderVerdict.spared). */
const SPARED = {
  'far-from-all': 'it is far from all its own senders too, as an honest straggler is',
  ahead: 'it has taken far more steps than the peers that clip it, as an honest fast peer has',
} as const;

/**
 * Re-reads the live peers' latest evidence and flags the senders it convicts; returns those to
 * eject. Call it about once a second.
 */
export function checkHostileFrames(table: PeerTable, tuning: HostileFramesTuning, now: number): PeerId[] {
  const reports = table.live().map((p) => ({ reporter: p.id, evidence: p.latest?.evidence ?? [], steps: p.latest?.steps }));
  const ejected: PeerId[] = [];
  for (const v of judgeSenders(reports, tuning)) {
    if (v.eject) ejected.push(v.sender);
    table.flag(
      v.sender,
      'hostile-frames',
      `peers ${v.reporters.join(', ')} refused ${v.refused} of its ${v.frames} frames for their content and clipped ${v.clipped}${v.frozen > 0 ? `; ${v.frozen} were replays of its previous frame` : ''}${v.opposed > 0 ? `; ${v.opposed} pointed against the receiver's model or lay to one side of it` : ''}${v.massOpposed > 0 ? `; ${v.massOpposed} of its ${v.massFrames} running sums pointed against the receivers' own while their other senders' agreed` : ''} (robust mixing${v.eject ? `; ejected on: ${v.grounds.join(', ')}` : ''}${v.spared === undefined ? '' : `; not ejected for clipping: ${SPARED[v.spared]}`})`,
      now,
    );
  }
  return ejected;
}
