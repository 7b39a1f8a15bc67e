import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeIssues, runStateUpdateSchema, validateWith, type RunStatePayload, type RunStateUpdate } from '@starling/protocol';
import { SERVER_TUNING } from './config';
import type { DatasetService } from './datasets';
import { ROUTES, isApiPath } from './routes';
import type { Run } from './run';
import { contentTypeOf, looksLikeAppRoute, resolveFile, unsafePathReason } from './static-files';

/**
 * Plain node:http routes: the run's JSON API, the MNIST payloads, the TF.js wasm binaries and the
 * built web app. Every failure is a JSON body `{ error, message }` with a 4xx/5xx status.
 */

export interface HttpDeps {
  run: Run;
  data: DatasetService;
  setRunState: (u: RunStateUpdate) => RunStatePayload;
  /** Built web app; missing directory = only the API is served. */
  webDist: string;
  /** TF.js wasm binaries; undefined = /tfjs-wasm/ answers 404. */
  wasmDir: string | undefined;
  log?: (line: string) => void;
}

type ErrorCode = 'bad-request' | 'not-found' | 'method-not-allowed' | 'payload-too-large' | 'unavailable' | 'internal';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const SHARD_ROUTE = new RegExp(`^${ROUTES.shardPrefix}([^/]*)$`);
const WASM_NAME = /^[A-Za-z0-9._-]+\.wasm$/;

export function createRequestHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal server error');
      if (!(e instanceof HttpError)) deps.log?.(`http ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) res.destroy();
      else sendJson(res, err.status, { error: err.code, message: err.message });
    });
  };
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const head = method === 'HEAD';

  if (path === ROUTES.runState && method === 'POST') {
    const update = parseBody(await readBody(req));
    sendJson(res, 200, deps.setRunState(update));
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', `${method} is not supported here`);

  if (path === ROUTES.run) return sendJson(res, 200, deps.run.snapshot(), head);
  if (path === ROUTES.runState) return sendJson(res, 200, deps.run.state, head);
  if (path === ROUTES.peers) {
    const { coordinator, peers } = deps.run;
    return sendJson(res, 200, { at: Date.now(), epoch: coordinator.epoch, peers: peers.summaries() }, head);
  }
  const shard = SHARD_ROUTE.exec(path);
  if (shard !== null) {
    noQuery(query);
    const index = parseShardIndex(shard[1], deps.data.shardCount);
    return sendBytes(res, await loadData(() => deps.data.shard(index)), head);
  }
  if (path === ROUTES.test) {
    noQuery(query);
    return sendBytes(res, await loadData(() => deps.data.test()), head);
  }
  if (path.startsWith(ROUTES.wasmPrefix)) {
    const name = path.slice(ROUTES.wasmPrefix.length);
    const file = deps.wasmDir !== undefined && WASM_NAME.test(name) ? await resolveFile(deps.wasmDir, `/${name}`) : null;
    if (file === null) throw new HttpError(404, 'not-found', `no TF.js wasm binary '${name}'`);
    return sendFile(res, file, head, 'public, max-age=3600');
  }
  if (isApiPath(path)) throw new HttpError(404, 'not-found', `no route ${path}`);
  return serveApp(deps.webDist, path, res, head);
}

async function serveApp(webDist: string, path: string, res: ServerResponse, head: boolean): Promise<void> {
  if (unsafePathReason(path) !== null) throw new HttpError(404, 'not-found', `no file ${path}`);
  const file = await resolveFile(webDist, path === '/' ? '/index.html' : path);
  if (file !== null) {
    // Vite's hashed assets never change; index.html must be revalidated to pick up a new build.
    const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return sendFile(res, file, head, cache);
  }
  if (looksLikeAppRoute(path)) {
    const index = await resolveFile(webDist, '/index.html');
    if (index !== null) return sendFile(res, index, head, 'no-cache');
    throw new HttpError(404, 'not-found', `web app not built (no index.html in ${webDist}); build apps/web first`);
  }
  throw new HttpError(404, 'not-found', `no file ${path}`);
}

function parseShardIndex(text: string, count: number): number {
  if (!/^\d{1,9}$/.test(text)) throw new HttpError(400, 'bad-request', `shard index must be an integer 0..${count - 1}, got '${text.slice(0, 32)}'`);
  const index = Number(text);
  if (index >= count) throw new HttpError(400, 'bad-request', `shard index ${index} is out of range: the run has ${count} shards (0..${count - 1})`);
  return index;
}

function noQuery(query: URLSearchParams): void {
  const keys = [...new Set(query.keys())];
  if (keys.length > 0) throw new HttpError(400, 'bad-request', `unexpected query parameter(s): ${keys.join(', ').slice(0, 200)}`);
}

async function loadData(get: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return await get();
  } catch (e) {
    throw new HttpError(503, 'unavailable', `dataset not available: ${(e as Error).message}`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > SERVER_TUNING.maxBodyBytes) throw new HttpError(413, 'payload-too-large', `body exceeds ${SERVER_TUNING.maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): RunStateUpdate {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad-request', 'body is not valid JSON');
  }
  const v = validateWith(runStateUpdateSchema, json);
  if (!v.ok) throw new HttpError(400, 'bad-request', describeIssues(v.issues));
  return v.value;
}

function sendJson(res: ServerResponse, status: number, body: unknown, head = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : text);
}

function sendBytes(res: ServerResponse, bytes: Uint8Array, head: boolean): void {
  // The split depends on the run config, so a cached copy from another run would be wrong.
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : bytes);
}

async function sendFile(res: ServerResponse, file: string, head: boolean, cacheControl: string): Promise<void> {
  const { size } = await stat(file);
  res.writeHead(200, { 'Content-Type': contentTypeOf(file), 'Content-Length': size, 'Cache-Control': cacheControl });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    const stream = createReadStream(file);
    stream.on('error', fail);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
}
