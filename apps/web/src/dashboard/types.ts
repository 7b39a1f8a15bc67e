import type { PeersPayload, PeerSummary } from '@starling/protocol';

/**
 * The payload types the dashboard reads. They come from @starling/protocol (the issue-4 contract);
 * the only local addition is `staleness`, asked for in the contract's REQUESTS but not sent yet.
 */
export type {
  Evaluation,
  HealthResponse,
  MetricPoint,
  NewRunRequest,
  PeerLossSeries,
  RunInfo,
  RunStatePayload,
  RunStatus,
  RunSummary,
  TopologyEdges,
  TopologyPayload,
} from '@starling/protocol';

/** A peer row; every field beyond PeerSummary's required ones may be absent (shown as "—"). */
export interface DashPeer extends PeerSummary {
  /** Version age / staleness when the algorithm reports one. */
  staleness?: number | null;
}

export interface DashPeersPayload extends Omit<PeersPayload, 'peers'> {
  peers: DashPeer[];
}
