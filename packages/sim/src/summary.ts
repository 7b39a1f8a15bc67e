/** Per-peer summaries at the end of a run. */
import { distance, norm } from './linalg';
import { agesAt, summariseAges } from './metrics';
import type { PeerRuntime, PeerTable } from './peers';
import type { MemberObjective } from './problems';
import type { PeerSummary } from './types';

export function summarisePeers(
  all: readonly PeerRuntime[],
  live: readonly PeerRuntime[],
  table: PeerTable,
  obj: MemberObjective,
): PeerSummary[] {
  const xsNorm = norm(obj.optimum);
  const scale = xsNorm > 0 ? 1 / xsNorm : 1;
  const ages = new Float64Array(live.length);
  return all.map((p) => {
    const alive = p.alive;
    const x = alive ? p.algo.model() : null;
    const summary: PeerSummary = {
      id: p.id,
      alive,
      joinedAt: p.joinedAt,
      leftAt: p.leftAt,
      steps: p.steps,
      blockedTime: p.blockedTime,
      relError: x !== null ? distance(x, obj.optimum) * scale : Number.NaN,
      objective: x !== null ? obj.value(x) : Number.NaN,
      algo: p.algo.stats(),
      ...table.traffic(p.id),
    };
    const age = alive ? summariseAges(ages, agesAt(p, live, ages)) : null;
    if (age !== null) summary.versionAge = age;
    return summary;
  });
}
