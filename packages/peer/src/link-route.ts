import type { LinkRoute } from '@starling/protocol';

/**
 * Which way a WebRTC link actually goes, read from its RTCPeerConnection's stats: the candidate
 * pair in use (the transport's `selectedCandidatePairId`, else the nominated pair that succeeded),
 * its two candidates' types, and the pair's current round-trip time.
 */

export interface LinkPath {
  route: LinkRoute;
  /** ms; null before the first consent check measured one. */
  rttMs: number | null;
}

/** The subset of RTCStats fields read here (browsers and @roamhq/wrtc both report them). */
interface StatsEntry {
  id: string;
  type: string;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
  candidateType?: string;
  nominated?: boolean;
  state?: string;
  currentRoundTripTime?: number;
}

/** More indirect first: a pair with one relayed side is relayed. */
const ORDER: readonly LinkRoute[] = ['relay', 'srflx', 'prflx', 'host'];

function asRoute(t: unknown): LinkRoute | null {
  return typeof t === 'string' && (ORDER as readonly string[]).includes(t) ? (t as LinkRoute) : null;
}

/** The path of the pair in use, or null when no pair is selected (not connected yet). */
export function pathFromStats(report: Iterable<unknown>): LinkPath | null {
  const byId = new Map<string, StatsEntry>();
  for (const raw of report) {
    const e = (Array.isArray(raw) ? raw[1] : raw) as StatsEntry;
    if (e && typeof e.id === 'string') byId.set(e.id, e);
  }
  let pair: StatsEntry | undefined;
  for (const e of byId.values()) {
    if (e.type === 'transport' && e.selectedCandidatePairId) pair = byId.get(e.selectedCandidatePairId);
  }
  pair ??= [...byId.values()].find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
  if (pair === undefined) return null;
  const local = asRoute(byId.get(pair.localCandidateId ?? '')?.candidateType);
  const remote = asRoute(byId.get(pair.remoteCandidateId ?? '')?.candidateType);
  if (local === null || remote === null) return null;
  const route = ORDER.find((r) => r === local || r === remote)!;
  const rtt = pair.currentRoundTripTime;
  return { route, rttMs: typeof rtt === 'number' && Number.isFinite(rtt) && rtt >= 0 ? Math.min(rtt * 1000, 600_000) : null };
}

/** Reads a connection's path; null when it has none yet or its stats are unavailable (closed). */
export async function readLinkPath(pc: Pick<RTCPeerConnection, 'getStats'>): Promise<LinkPath | null> {
  try {
    return pathFromStats((await pc.getStats()).values());
  } catch {
    return null;
  }
}
