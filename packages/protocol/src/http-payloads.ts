import type { TaskInfo } from './task-info';
import type { PeerId } from '@starling/core';
import { z } from 'zod';
import { runConfigSchema, type RunConfig } from './config';
import type { Evaluation, TopologyEdges } from './server-payloads';

/**
 * The server's HTTP API (JSON unless stated). Request bodies have zod schemas, since the server
 * validates them; responses are types only. Every error is `HttpErrorBody` with a 4xx/5xx status.
 */

export const HTTP_ERROR_CODES = [
  /** A malformed request: bad JSON, schema failure, bad header or query. */
  'bad-request',
  /** A snapshot body of the wrong length or with NaN/Inf. */
  'bad-snapshot',
  /** No admin / upload token given. */
  'unauthorized',
  /** A wrong admin / upload token, or a peer that is not live in the run. */
  'forbidden',
  'not-found',
  /** No run with that id. */
  'unknown-run',
  /** The run has no checkpoint yet. */
  'no-checkpoint',
  /** No evaluated snapshot of the run has samples yet (the server keeps the latest, in memory). */
  'no-samples',
  /** An uploaded task (model, weights or data) failed a check; the message says which. */
  'bad-upload',
  /** The run exists but is not the one running (uploads), or a run id that is taken. */
  'conflict',
  /** The run's snapshotIntervalMs is 0. */
  'snapshots-disabled',
  'method-not-allowed',
  'payload-too-large',
  /** Uploads faster than snapshotIntervalMs / 2, or too many requests from one address; see Retry-After. */
  'rate-limited',
  /** The request (headers or body) did not arrive within the server's timeout. */
  'request-timeout',
  /** Request headers above Node's limit. */
  'headers-too-large',
  /** The dataset or the model runtime is not available (yet). */
  'unavailable',
  'internal',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

export interface HttpErrorBody {
  error: { code: HttpErrorCode; message: string };
}

export type RunStatus = 'running' | 'finished' | 'interrupted';

/** GET /api/run: the run this server hosts now. */
export interface RunInfo {
  runId: string;
  config: RunConfig;
  task: TaskInfo;
  status: RunStatus;
  startedAt: number;
  epoch: number;
  members: PeerId[];
  topology: TopologyEdges;
  paused: boolean;
  lossRate: number;
  /** Every server counter, flat (`rejectedByCode.run-full`, `httpErrorsByCode.bad-snapshot`, ...). */
  counters: Record<string, number>;
}

/**
 * GET /api/health: the process is alive, and what it has refused and holds. Open to everyone (the
 * counters are public at GET /api/run too); the dashboard shows it as "Server health".
 */
export interface HealthResponse {
  ok: true;
  /** Server time of the answer and how long the process has run (ms). */
  at: number;
  uptimeMs: number;
  memory: { rssBytes: number; heapUsedBytes: number; externalBytes: number };
  /** Every server counter, flat (`rejectedByCode.rate-limited`, `httpErrorsByCode.request-timeout`, ...). */
  counters: Record<string, number>;
  livePeers: number;
  /** Client addresses the per-client limits track now (it follows the clients connected, not all ever seen). */
  trackedAddresses: number;
  /** The per-client limits in effect (SERVER_TUNING with the operator's overrides). */
  limits: {
    maxConnectionsPerAddress: number;
    maxPeersPerAddress: number;
    joinsPerAddress: { burst: number; perSecond: number };
    eventsPerConnection: { burst: number; perSecond: number };
    signalsPerConnection: { burst: number; perSecond: number };
    httpRequestsPerAddress: { burst: number; perSecond: number };
    maxBufferedBytes: number;
  };
}

/** One row of GET /api/runs (newest first). */
export interface RunSummary {
  runId: string;
  config: RunConfig;
  status: RunStatus;
  startedAt: number;
  endedAt: number | null;
  /** Training samples over all peers, as of the last metric point. */
  totalSamples: number;
  /** Most peers live at once. */
  peakPeers: number;
  /** Of the run's latest server evaluation. */
  finalAccuracy: number | null;
  finalLoss: number | null;
  bestAccuracy: number | null;
}

export interface RunsResponse {
  runs: RunSummary[];
}

/** One point of GET /api/runs/:runId/metrics. Downsampled points aggregate several seconds. */
export interface MetricPoint {
  /** Unix time (ms). */
  t: number;
  /** Run total of training samples. */
  samples: number;
  /** Over the live peers' latest losses. */
  meanLoss: number | null;
  minLoss: number | null;
  maxLoss: number | null;
  /** Swarm total. */
  stepsPerSec: number;
  /** Live peers. */
  peers: number;
}

export interface MetricsResponse {
  points: MetricPoint[];
}

export interface PeerLossSeries {
  peerId: PeerId;
  points: { t: number; loss: number }[];
}

export interface PeerLossesResponse {
  series: PeerLossSeries[];
}

/** GET /api/runs/:runId/evaluations (oldest first). */
export interface EvaluationsResponse {
  evaluations: Evaluation[];
}

/** POST /api/runs (admin): end the current run and start one with this config. */
export const newRunRequestSchema = z.strictObject({ config: runConfigSchema });
export type NewRunRequest = z.input<typeof newRunRequestSchema>;

export interface NewRunResponse {
  runId: string;
}

/** `?maxPoints=N` of the metrics and peer-losses routes (other parameters, e.g. cache busters, are ignored). */
export const MAX_POINTS = { default: 2000, max: 20_000 } as const;
export const maxPointsQuerySchema = z.object({
  maxPoints: z.coerce.number().int().min(2).max(MAX_POINTS.max).default(MAX_POINTS.default),
});

/** Headers of a snapshot upload, `POST /api/runs/:runId/snapshots` (body: little-endian float32 model). */
export const SNAPSHOT_HEADERS = {
  peer: 'x-starling-peer',
  /** `uploadToken` from the peer's `welcome`. */
  token: 'x-starling-token',
  /** The peer's step count when it took the snapshot. */
  steps: 'x-starling-steps',
} as const;

/** Headers of `GET /api/runs/:runId/checkpoint` (body: little-endian float32 model). */
export const CHECKPOINT_HEADERS = {
  steps: 'x-starling-steps',
  peer: 'x-starling-peer',
  /** Unix time (ms) the checkpoint's snapshot arrived. */
  time: 'x-starling-checkpoint-time',
} as const;

/** `POST /api/tasks` answers 201 with the stored task. */
export interface TaskUploadResponse {
  task: TaskInfo;
}
