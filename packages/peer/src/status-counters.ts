import { evidenceReport } from './evidence';
import type { JoinedRun } from './joined-run';
import type { RunNetwork } from './run-network';
import type { PeerStatus } from './status';

/**
 * Copy the live counters of the current welcome (its links, router, algorithm and step loop)
 * into the status the page and the telemetry read. Either part may not exist yet: a peer that is
 * still downloading has a network but no run.
 */
export function countersInto(st: PeerStatus, network: RunNetwork | null, run: JoinedRun | null): void {
  const m = network?.mesh.totals();
  const algo = run?.algo;
  const c = run?.loop.counters;
  if (m && network) {
    Object.assign(st, {
      neighboursOpen: m.openLinks, framesSent: m.framesSent, framesReceived: m.framesReceived,
      framesLost: m.framesLost, bytesSent: m.bytesSent, bytesReceived: m.bytesReceived,
      unreliableSent: m.unreliableSent, injectedDrops: m.injectedDrops, backpressureSkips: m.backpressureSkips,
    });
    st.framesRejected = m.controlRejected + network.router.counters.framesRejected + (algo?.stats().rejected ?? 0);
  }
  if (c) Object.assign(st, { computeMs: c.computeMs, commMs: c.commMs, blockedMs: c.blockedMs, trainingMs: c.trainingMs, gradientBusyMs: run?.training.busyMs?.() ?? 0 });
  st.staleness = network && st.steps > 0 ? network.staleness.mean(network.sources, st.steps) : null;
  const transit = algo?.transitEstimate?.() ?? null;
  st.massInTransit = transit !== null && transit.gradient > 0 ? transit.transit / transit.gradient : null;
  st.computeShare = c && c.trainingMs > 0 ? Math.min(1, c.computeMs / c.trainingMs) : null;
  st.sendShare = run?.sendShare ?? null;
  st.evidence = evidenceReport(algo?.senderEvidence?.());
}
