import {
  maxPointsQuerySchema,
  pathPattern,
  newRunRequestSchema,
  runStateUpdateSchema,
  type EvaluationsResponse,
  type HealthResponse,
  type MetricsResponse,
  type NewRunResponse,
  type PeerLossesResponse,
  type PeersPayload,
  type RunsResponse,
} from '@starling/protocol';
import { TaskError } from '@starling/tasks/node';
import { flattenCounters } from './counters';
import type { RequestContext, Route } from './http-context';
import { HttpError, readJson, readQuery, sendJson } from './http-util';
import { RunIdTakenError } from './lifecycle';
import { knownRun, requireAdmin } from './route-guards';

/**
 * The run's JSON API: the current run, its switches and peers, the list of runs, each run's
 * series and evaluations, and starting a new run. Control (POST) is admin only; reading is open.
 */

/** Evaluations returned per request (the newest); a run evaluates a few times a minute at most. */
const MAX_EVALUATIONS = 10_000;

function health(ctx: RequestContext): HealthResponse {
  const { deps } = ctx;
  const run = deps.runs.current;
  const t = deps.tuning;
  const mem = process.memoryUsage();
  const tracked = deps.gate.tracked();
  return {
    ok: true,
    at: deps.clock(),
    uptimeMs: Math.round(process.uptime() * 1000),
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, externalBytes: mem.external },
    counters: flattenCounters(run.counters),
    livePeers: run.coordinator.members().length,
    trackedAddresses: Math.max(tracked.tcp, tracked.sockets, tracked.joinBuckets, tracked.requestBuckets),
    limits: {
      maxConnectionsPerAddress: t.maxConnectionsPerAddress,
      maxPeersPerAddress: t.maxPeersPerAddress,
      joinsPerAddress: t.joinsPerAddress,
      eventsPerConnection: t.eventsPerConnection,
      signalsPerConnection: t.signalsPerConnection,
      httpRequestsPerAddress: t.httpRequestsPerAddress,
      maxBufferedBytes: t.maxBufferedBytes,
    },
  };
}

export const apiRoutes: Route[] = [
  {
    method: 'GET',
    pattern: pathPattern('health'),
    handle: (ctx) => sendJson(ctx.res, 200, health(ctx), ctx.head),
  },
  {
    method: 'GET',
    pattern: pathPattern('run'),
    handle: (ctx) => sendJson(ctx.res, 200, ctx.deps.runs.current.info(), ctx.head),
  },
  {
    method: 'GET',
    pattern: pathPattern('runState'),
    handle: (ctx) => sendJson(ctx.res, 200, ctx.deps.runs.current.state, ctx.head),
  },
  {
    method: 'POST',
    pattern: pathPattern('runState'),
    handle: async (ctx) => {
      requireAdmin(ctx);
      const update = await readJson(ctx.req, runStateUpdateSchema, ctx.deps.tuning.maxBodyBytes);
      sendJson(ctx.res, 200, ctx.deps.setRunState(update));
    },
  },
  {
    method: 'GET',
    pattern: pathPattern('peers'),
    handle: (ctx) => {
      const run = ctx.deps.runs.current;
      const body: PeersPayload = { at: ctx.deps.clock(), epoch: run.coordinator.epoch, peers: run.peers.summaries() };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'GET',
    pattern: pathPattern('runs'),
    handle: (ctx) => {
      const body: RunsResponse = { runs: ctx.deps.store.runs.list() };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'POST',
    pattern: pathPattern('runs'),
    handle: async (ctx) => {
      requireAdmin(ctx);
      const { config } = await readJson(ctx.req, newRunRequestSchema, ctx.deps.tuning.maxBodyBytes);
      let runId: string;
      try {
        runId = ctx.deps.runs.startNew(config).runId;
      } catch (e) {
        if (e instanceof RunIdTakenError) throw new HttpError(409, 'conflict', e.message);
        if (e instanceof TaskError) throw new HttpError(400, 'bad-request', e.message.slice(0, 2000));
        throw e;
      }
      const body: NewRunResponse = { runId };
      sendJson(ctx.res, 201, body);
    },
  },
  {
    method: 'GET',
    pattern: pathPattern('metrics'),
    handle: (ctx, [id]) => {
      const runId = knownRun(ctx, id);
      const { maxPoints } = readQuery(ctx.query, maxPointsQuerySchema);
      const body: MetricsResponse = { points: ctx.deps.store.metrics.points(runId, maxPoints) };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'GET',
    pattern: pathPattern('peerLosses'),
    handle: (ctx, [id]) => {
      const runId = knownRun(ctx, id);
      const { maxPoints } = readQuery(ctx.query, maxPointsQuerySchema);
      const body: PeerLossesResponse = { series: ctx.deps.store.metrics.peerLosses(runId, maxPoints) };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'GET',
    pattern: pathPattern('evaluations'),
    handle: (ctx, [id]) => {
      const runId = knownRun(ctx, id);
      const body: EvaluationsResponse = { evaluations: ctx.deps.store.evaluations.list(runId, MAX_EVALUATIONS) };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
];
