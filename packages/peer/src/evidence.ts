import { evidenceAgainst, type PeerId, type SenderEvidence } from '@starling/core';
import { PROTOCOL_LIMITS, type SenderEvidenceReport } from '@starling/protocol';

/**
 * The algorithm's per-sender evidence (issue 13) as telemetry reports: only senders with frames
 * refused for their content, clipped or frozen, most refused first, at most PROTOCOL_LIMITS.maxLinksReported.
 * The server decides whether a sender is hostile from several peers' reports (core's judgeSenders, applied in apps/server hostile-frames.ts).
 */
export function evidenceReport(ev: ReadonlyMap<PeerId, SenderEvidence> | undefined): SenderEvidenceReport[] {
  if (ev === undefined) return [];
  const out: SenderEvidenceReport[] = evidenceAgainst(ev).filter((e) => e.refused + e.clipped + e.frozen > 0);
  out.sort((a, b) => b.refused - a.refused || b.clipped + b.frozen - (a.clipped + a.frozen) || a.peer - b.peer);
  return out.slice(0, PROTOCOL_LIMITS.maxLinksReported);
}
