import { evidenceAgainst, heldFrames, reportCounts, type PeerId, type SenderEvidence } from '@starling/core';
import { PROTOCOL_LIMITS, type SenderEvidenceReport } from '@starling/protocol';

/**
 * The algorithm's per-sender evidence (issue 13) as telemetry reports: only senders with frames
 * refused for their content, clipped, frozen or opposed (model frames or R-FAST running sums),
 * most refused first, at most PROTOCOL_LIMITS.maxLinksReported.
 * The server decides whether a sender is hostile from several peers' reports (core's judgeSenders, applied in apps/server hostile-frames.ts).
 */
export function evidenceReport(ev: ReadonlyMap<PeerId, SenderEvidence> | undefined): SenderEvidenceReport[] {
  if (ev === undefined) return [];
  const out: SenderEvidenceReport[] = evidenceAgainst(ev)
    .filter((e) => e.refused + heldFrames(e) + (e.massOpposed ?? 0) > 0)
    .map((e) => ({ ...e, opposed: e.opposed ?? 0, massFrames: e.massFrames ?? 0, massOpposed: e.massOpposed ?? 0 }));
  out.sort((a, b) => b.refused - a.refused || heldFrames(b) - heldFrames(a) || (b.massOpposed ?? 0) - (a.massOpposed ?? 0) || a.peer - b.peer);
  return out.slice(0, PROTOCOL_LIMITS.maxLinksReported);
}

/**
 * Says when the evidence against some sender starts to count in the server's verdict (core's
 * reportCounts), so the runtime sends its telemetry at once instead of at the next interval: a
 * sign-flipper drags its receivers' models towards zero within 20-50 steps, while telemetry and
 * the server's judging each run once a second. Each sender alerts once while its report counts.
 */
export class EvidenceAlert {
  private counting = new Set<PeerId>();

  /** True when a sender's report counts now that did not at the previous call. */
  check(reports: readonly SenderEvidenceReport[]): boolean {
    const now = new Set<PeerId>();
    let fresh = false;
    for (const e of reports) {
      if (!reportCounts(e)) continue;
      now.add(e.peer);
      if (!this.counting.has(e.peer)) fresh = true;
    }
    this.counting = now;
    return fresh;
  }
}
