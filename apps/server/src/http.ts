import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpDeps, RequestContext, Route } from './http-context';
import { errorBody, HttpError, sendJson } from './http-util';
import { apiRoutes } from './routes-api';
import { modelRoutes } from './routes-model';
import { serveStatic } from './routes-static';

/**
 * The node:http request handler: API routes, then static files. Every refusal is
 * `{ error: { code, message } }` with a 4xx status and is counted in `httpErrors` /
 * `httpErrorsByCode`; an unexpected exception is a 500, logged and counted as an internal error.
 */

export type { HttpDeps } from './http-context';

const ROUTE_TABLE: readonly Route[] = [...apiRoutes, ...modelRoutes];

export function createRequestHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const ctx: RequestContext = {
      deps,
      req,
      res,
      method: req.method ?? 'GET',
      path: q < 0 ? raw : raw.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
      head: req.method === 'HEAD',
    };
    dispatch(ctx).catch((e: unknown) => fail(ctx, e));
  };
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

function fail({ deps, req, res }: RequestContext, e: unknown): void {
  const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal server error');
  const counters = deps.runs.current.counters;
  if (e instanceof HttpError) {
    counters.httpErrors++;
    counters.httpErrorsByCode[err.code]++;
  } else {
    counters.internalErrors++;
    deps.log(`http ${req.method} ${req.url?.slice(0, 200)}: ${(e as Error).stack ?? String(e)}`);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { ...err.headers };
  if (req.complete) {
    sendJson(res, err.status, errorBody(err.code, err.message), false, headers);
    return;
  }
  drainThenReply(req, res, err, headers, deps.tuning.maxSnapshotBytes);
}

/**
 * The request was refused before its body was read. Replying and closing at once would leave the
 * unread body in the socket, and closing a socket with unread data sends a TCP reset that can reach
 * the client before the reply (it sees "connection reset", not our 4xx). So a body up to `cap`
 * bytes is read and discarded first; an oversized one (413) is cut off after the reply.
 */
function drainThenReply(req: IncomingMessage, res: ServerResponse, err: HttpError, headers: Record<string, string>, cap: number): void {
  const reply = () => sendJson(res, err.status, errorBody(err.code, err.message), false, headers);
  if (err.status === 413) {
    headers.Connection = 'close';
    res.once('finish', () => req.socket.destroySoon());
    reply();
    return;
  }
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.socket.destroy();
  });
  req.once('end', reply);
  req.once('error', () => res.destroy());
  req.resume();
}
