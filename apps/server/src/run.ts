import type { PeerId } from '@starling/core';
import {
  HTTP_ERROR_CODES,
  REJECT_CODES,
  type HttpErrorCode,
  type RejectCode,
  type RunConfig,
  type RunInfo,
  type RunStatePayload,
  type RunStatus,
  type RunStateUpdate,
  type TaskInfo,
  type TelemetryPayload,
  type TopologyEdges,
} from '@starling/protocol';
import { newSecret } from './admin';
import { SERVER_TUNING } from './config';
import { Coordinator } from './coordinator';
import type { DatasetService } from './datasets';
import { PeerTable } from './peer-table';

/** Everything the server counts, over the life of the process; exposed (flattened) at GET /api/run. */
export interface ServerCounters {
  connections: number;
  disconnections: number;
  peersJoined: number;
  observersJoined: number;
  /** Peers that left by `leave` or by disconnecting. */
  leaves: number;
  /** Peers dropped for silence (no event for peerTimeoutMs). */
  timeouts: number;
  signalsRelayed: number;
  telemetryReports: number;
  /** Client events refused, in total and by reason. */
  rejected: number;
  rejectedByCode: Record<RejectCode, number>;
  /** HTTP requests answered with a 4xx, in total and by error code. */
  httpErrors: number;
  httpErrorsByCode: Record<HttpErrorCode, number>;
  snapshotsAccepted: number;
  /** Uploads refused (bad token, rate, length, NaN/Inf, ...); also counted in httpErrors. */
  snapshotsRefused: number;
  /** Accepted snapshots replaced by a newer one before their evaluation started. */
  snapshotsSuperseded: number;
  evaluations: number;
  evaluationErrors: number;
  checkpointsSaved: number;
  /** Evaluated snapshots not kept as a checkpoint because their accuracy fell too far (or too soon after the last). */
  checkpointsSkipped: number;
  runsStarted: number;
  metricPoints: number;
  /** One-second points merged away by downsampling. */
  pointsDownsampled: number;
  /** Database writes that failed (logged); the server keeps serving. */
  storeErrors: number;
  /** Exceptions caught inside a handler (a bug, never a client's fault); the server kept running. */
  internalErrors: number;
}

export function createCounters(): ServerCounters {
  const byCode = {} as Record<RejectCode, number>;
  for (const c of REJECT_CODES) byCode[c] = 0;
  const httpByCode = {} as Record<HttpErrorCode, number>;
  for (const c of HTTP_ERROR_CODES) httpByCode[c] = 0;
  return {
    connections: 0,
    disconnections: 0,
    peersJoined: 0,
    observersJoined: 0,
    leaves: 0,
    timeouts: 0,
    signalsRelayed: 0,
    telemetryReports: 0,
    rejected: 0,
    rejectedByCode: byCode,
    httpErrors: 0,
    httpErrorsByCode: httpByCode,
    snapshotsAccepted: 0,
    snapshotsRefused: 0,
    snapshotsSuperseded: 0,
    evaluations: 0,
    evaluationErrors: 0,
    checkpointsSaved: 0,
    checkpointsSkipped: 0,
    runsStarted: 0,
    metricPoints: 0,
    pointsDownsampled: 0,
    storeErrors: 0,
    internalErrors: 0,
  };
}

/** `{ rejected: 1, rejectedByCode: { 'run-full': 1 } }` -> `{ rejected: 1, 'rejectedByCode.run-full': 1 }`. */
export function flattenCounters(c: ServerCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'number') out[k] = v;
    else for (const [sub, n] of Object.entries(v as Record<string, number>)) out[`${k}.${sub}`] = n;
  }
  return out;
}

export interface RunOptions {
  runId: string;
  config: RunConfig;
  startedAt: number;
  /** Shared by every run of the process. */
  counters: ServerCounters;
  data: DatasetService;
  /** A resumed run continues after the peer ids and samples it had before the restart. */
  firstPeerId?: PeerId;
  samplesBefore?: number;
}

/** The state of one run while this process hosts it: membership, peers, switches, secrets. */
export class Run {
  readonly runId: string;
  readonly config: RunConfig;
  readonly startedAt: number;
  readonly counters: ServerCounters;
  /** The run's task data split (shards depend on the run config). */
  readonly data: DatasetService;
  readonly coordinator: Coordinator;
  readonly peers = new PeerTable({ history: SERVER_TUNING.telemetryHistory, departedKept: SERVER_TUNING.departedKept });
  status: RunStatus = 'running';
  private runState: RunStatePayload;
  private readonly uploadTokens = new Map<PeerId, string>();
  private readonly lastUpload = new Map<PeerId, number>();
  /** Latest `samples` each peer of this process reported, so departed peers keep counting. */
  private readonly samplesByPeer = new Map<PeerId, number>();
  /** Samples a peer moved in from the previous run had already reported (not this run's work). */
  private readonly samplesBase = new Map<PeerId, number>();
  private readonly samplesBefore: number;

  constructor(o: RunOptions) {
    this.runId = o.runId;
    this.config = o.config;
    this.startedAt = o.startedAt;
    this.counters = o.counters;
    this.data = o.data;
    this.coordinator = new Coordinator(o.config, o.firstPeerId ?? 0);
    this.samplesBefore = o.samplesBefore ?? 0;
    this.runState = { paused: false, lossRate: o.config.lossRate };
  }

  /** What the run trains (resolved from `config.task` when the run was created). */
  get task(): TaskInfo {
    return this.data.info;
  }

  get state(): RunStatePayload {
    return { ...this.runState };
  }

  /** Apply a validated update; returns the new state. */
  updateState(u: RunStateUpdate): RunStatePayload {
    if (u.paused !== undefined) this.runState.paused = u.paused;
    if (u.lossRate !== undefined) this.runState.lossRate = u.lossRate;
    return this.state;
  }

  /** A fresh upload token for a peer that just joined. */
  issueUploadToken(id: PeerId): string {
    const token = newSecret(24);
    this.uploadTokens.set(id, token);
    return token;
  }

  /** The token of a live peer; undefined once it left. */
  uploadToken(id: PeerId): string | undefined {
    return this.coordinator.has(id) ? this.uploadTokens.get(id) : undefined;
  }

  /** Forget a departed peer's secrets. */
  forgetPeer(id: PeerId): void {
    this.uploadTokens.delete(id);
    this.lastUpload.delete(id);
  }

  /** Time of the peer's last accepted upload (for the rate limit). */
  lastUploadAt(id: PeerId): number | undefined {
    return this.lastUpload.get(id);
  }

  /** Sets (or, with undefined, clears) the time of the peer's last accepted upload. */
  noteUpload(id: PeerId, at: number | undefined): void {
    if (at === undefined) this.lastUpload.delete(id);
    else this.lastUpload.set(id, at);
  }

  recordTelemetry(id: PeerId, t: TelemetryPayload, now: number): void {
    this.peers.record(id, t, now);
    if (!this.coordinator.has(id)) return;
    const base = this.samplesBase.get(id);
    // A count below the base means the peer restarted its count for this run: all of it is ours.
    if (base !== undefined && t.samples < base) this.samplesBase.delete(id);
    this.samplesByPeer.set(id, t.samples);
  }

  /** The peer's latest reported `samples` (its own running count). */
  reportedSamples(id: PeerId): number | undefined {
    return this.samplesByPeer.get(id);
  }

  /** A peer moved in from the previous run: its count so far belongs to that run. */
  countSamplesFrom(id: PeerId, base: number): void {
    this.samplesBase.set(id, base);
  }

  /** Training samples over every peer of the run, including those before a restart. */
  totalSamples(): number {
    let sum = this.samplesBefore;
    for (const [id, s] of this.samplesByPeer) sum += s - (this.samplesBase.get(id) ?? 0);
    return sum;
  }

  topology(): TopologyEdges {
    const rOut: Record<string, PeerId[]> = {};
    const cOut: Record<string, PeerId[]> = {};
    for (const id of this.coordinator.members()) {
      const n = this.coordinator.neighboursOf(id);
      if (n === undefined) continue;
      rOut[id] = [...n.rOut];
      cOut[id] = [...n.cOut];
    }
    return { rOut, cOut };
  }

  /** Body of GET /api/run. */
  info(): RunInfo {
    return {
      runId: this.runId,
      config: this.config,
      task: this.task,
      status: this.status,
      startedAt: this.startedAt,
      epoch: this.coordinator.epoch,
      members: this.coordinator.members(),
      topology: this.topology(),
      paused: this.runState.paused,
      lossRate: this.runState.lossRate,
      counters: flattenCounters(this.counters),
    };
  }
}

/** A run id from the start time when the config gives none: sortable and safe in file names. */
export function makeRunId(now: Date): string {
  return `run-${now.toISOString().replace(/[:.]/g, '-')}`;
}
