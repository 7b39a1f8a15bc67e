import type { PeerId, SenderEvidence } from '@starling/core';
import { PROTOCOL_LIMITS, type SenderEvidenceReport } from '@starling/protocol';

/**
 * The algorithm's per-sender evidence (issue 13) as telemetry reports: only senders with frames
 * refused for their content or clipped, most refused first, at most PROTOCOL_LIMITS.maxLinksReported.
 * The server decides whether a sender is hostile from several peers' reports (apps/server hostile-frames.ts).
 */
export function evidenceReport(ev: ReadonlyMap<PeerId, SenderEvidence> | undefined): SenderEvidenceReport[] {
  if (ev === undefined) return [];
  const out: SenderEvidenceReport[] = [];
  for (const [peer, e] of ev) {
    const refused = e.magnitude + e.seqJumps;
    if (refused + e.clipped > 0) out.push({ peer, frames: e.frames, refused, clipped: e.clipped });
  }
  out.sort((a, b) => b.refused - a.refused || b.clipped - a.clipped || a.peer - b.peer);
  return out.slice(0, PROTOCOL_LIMITS.maxLinksReported);
}
