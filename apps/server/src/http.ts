import { taskRoutes } from './routes-tasks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { secretsEqual } from './admin';
import { normaliseAddress } from './client-address';
import { CLUSTER_HEADERS } from './cluster/http-proxy';
import { countHttpError } from './counters';
import { discardRest } from './http-guard';
import type { HttpDeps, RequestContext, Route } from './http-context';
import { ClientGoneError, errorBody, HttpError, sendJson } from './http-util';
import { apiRoutes } from './routes-api';
import { modelRoutes } from './routes-model';
import { serveStatic } from './routes-static';

/**
 * The node:http request handler: the per-address request limit, API routes, then static files.
 * Every refusal is `{ error: { code, message } }` with a 4xx status and is counted in `httpErrors`
 * / `httpErrorsByCode`; an unexpected exception is a 500, logged and counted as an internal error;
 * a client that went away is counted in `httpClientsGone`. No request can throw out of here.
 */

export type { HttpDeps } from './http-context';

const ROUTE_TABLE: readonly Route[] = [...apiRoutes, ...modelRoutes, ...taskRoutes];

export function createRequestHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Node sets req.socket to null once the request is destroyed; the refusal paths need it after that.
    const socket = req.socket;
    // An 'error' event without a listener would be thrown; failed writes to a gone client are not our bug.
    res.on('error', () => {});
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const ctx: RequestContext = {
      deps,
      req,
      res,
      socket,
      client: clientAddress(deps, req),
      method: req.method ?? 'GET',
      path: q < 0 ? raw : raw.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
      head: req.method === 'HEAD',
    };
    if (deps.tuning.crossOriginIsolated) {
      // Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer). Everything
      // the app loads is same-origin (socket.io, the wasm binaries, assets); WebRTC is not a fetch.
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    handle(ctx).catch((e: unknown) => fail(ctx, e));
  };
}

async function handle(ctx: RequestContext): Promise<void> {
  const wait = ctx.deps.gate.requestWaitMs(ctx.client);
  if (wait > 0) {
    throw new HttpError(429, 'rate-limited', `too many requests from your address; try again in ${wait} ms`, { 'Retry-After': String(Math.ceil(wait / 1000)) });
  }
  await dispatch(ctx);
}

async function dispatch(ctx: RequestContext): Promise<void> {
  let pathMatched = false;
  for (const route of ROUTE_TABLE) {
    const m = route.pattern.exec(ctx.path);
    if (m === null) continue;
    pathMatched = true;
    if (route.method !== ctx.method && !(route.method === 'GET' && ctx.head)) continue;
    return route.handle(ctx, m.slice(1).map(decodeParam));
  }
  if (pathMatched || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
    throw new HttpError(405, 'method-not-allowed', `${ctx.method.slice(0, 16)} is not supported here`);
  }
  return serveStatic(ctx);
}

function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new HttpError(400, 'bad-request', 'malformed percent-encoding in the path');
  }
}

/** The client's address: the TCP peer, a trusted proxy's X-Forwarded-For, or what a process of the cluster vouches for. */
function clientAddress(deps: HttpDeps, req: IncomingMessage): string {
  const vouched = req.headers[CLUSTER_HEADERS.client];
  const auth = req.headers[CLUSTER_HEADERS.auth];
  if (deps.clusterSecret !== undefined && typeof vouched === 'string' && typeof auth === 'string' && secretsEqual(auth, deps.clusterSecret)) {
    return normaliseAddress(vouched.slice(0, 64));
  }
  return deps.gate.addresses.resolve(req.socket.remoteAddress, req.headers['x-forwarded-for']);
}

function fail({ deps, req, res, socket }: RequestContext, e: unknown): void {
  const { counters } = deps;
  if (e instanceof ClientGoneError || socket.destroyed) {
    counters.httpClientsGone++;
    return;
  }
  const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal server error');
  if (e instanceof HttpError) {
    countHttpError(counters, err.code);
  } else {
    counters.internalErrors++;
    deps.log(`http ${req.method} ${req.url?.slice(0, 200)}: ${(e as Error).stack ?? String(e)}`);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, errorBody(err.code, err.message), false, err.headers);
  if (!req.complete) discardRest(req, socket, deps.tuning.maxDiscardBytes, counters);
}
