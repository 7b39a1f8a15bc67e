import {
  maxPointsQuerySchema,
  newRunRequestSchema,
  runStateUpdateSchema,
  type EvaluationsResponse,
  type MetricsResponse,
  type NewRunResponse,
  type PeerLossesResponse,
  type PeersPayload,
  type RunsResponse,
} from '@starling/protocol';
import { checkAdmin } from './admin';
import type { RequestContext, Route } from './http-context';
import { HttpError, readJson, readQuery, sendJson } from './http-util';
import { RunIdTakenError } from './lifecycle';
import { ROUTES } from './routes';

/**
 * The run's JSON API: the current run, its switches and peers, the list of runs, each run's
 * series and evaluations, and starting a new run. Control (POST) is admin only; reading is open.
 */

/** Path group of a run id: any segment, checked against the database by `knownRun`. */
export const RUN_ID = '([^/]+)';
/** Evaluations returned per request (the newest); a run evaluates a few times a minute at most. */
const MAX_EVALUATIONS = 10_000;

/** Throws 401/403 unless the request carries the admin token. */
export function requireAdmin(ctx: RequestContext, allowQuery = false): void {
  const auth = checkAdmin(ctx.deps.adminToken, ctx.req.headers, ctx.query, allowQuery);
  if (!auth.ok) {
    throw new HttpError(auth.status, auth.code, auth.message, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="starling"' } : {});
  }
}

/** The run id if the database knows it, else 404. */
export function knownRun(ctx: RequestContext, runId: string): string {
  if (!ctx.deps.store.runs.has(runId)) throw new HttpError(404, 'unknown-run', `no run '${runId.slice(0, 80)}'; GET ${ROUTES.runs} lists them`);
  return runId;
}

export const apiRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/api\/run$/,
    handle: (ctx) => sendJson(ctx.res, 200, ctx.deps.runs.current.info(), ctx.head),
  },
  {
    method: 'GET',
    pattern: /^\/api\/run\/state$/,
    handle: (ctx) => sendJson(ctx.res, 200, ctx.deps.runs.current.state, ctx.head),
  },
  {
    method: 'POST',
    pattern: /^\/api\/run\/state$/,
    handle: async (ctx) => {
      requireAdmin(ctx);
      const update = await readJson(ctx.req, runStateUpdateSchema, ctx.deps.tuning.maxBodyBytes);
      sendJson(ctx.res, 200, ctx.deps.setRunState(update));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/peers$/,
    handle: (ctx) => {
      const run = ctx.deps.runs.current;
      const body: PeersPayload = { at: ctx.deps.clock(), epoch: run.coordinator.epoch, peers: run.peers.summaries() };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/runs$/,
    handle: (ctx) => {
      const body: RunsResponse = { runs: ctx.deps.store.runs.list() };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/runs$/,
    handle: async (ctx) => {
      requireAdmin(ctx);
      const { config } = await readJson(ctx.req, newRunRequestSchema, ctx.deps.tuning.maxBodyBytes);
      let runId: string;
      try {
        runId = ctx.deps.runs.startNew(config).runId;
      } catch (e) {
        if (e instanceof RunIdTakenError) throw new HttpError(409, 'conflict', e.message);
        throw e;
      }
      const body: NewRunResponse = { runId };
      sendJson(ctx.res, 201, body);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/runs/${RUN_ID}/metrics$`),
    handle: (ctx, [id]) => {
      const runId = knownRun(ctx, id);
      const { maxPoints } = readQuery(ctx.query, maxPointsQuerySchema);
      const body: MetricsResponse = { points: ctx.deps.store.metrics.points(runId, maxPoints) };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/runs/${RUN_ID}/peer-losses$`),
    handle: (ctx, [id]) => {
      const runId = knownRun(ctx, id);
      const { maxPoints } = readQuery(ctx.query, maxPointsQuerySchema);
      const body: PeerLossesResponse = { series: ctx.deps.store.metrics.peerLosses(runId, maxPoints) };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/runs/${RUN_ID}/evaluations$`),
    handle: (ctx, [id]) => {
      const runId = knownRun(ctx, id);
      const body: EvaluationsResponse = { evaluations: ctx.deps.store.evaluations.list(runId, MAX_EVALUATIONS) };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
];
