import { isApiPath, pathPattern, PATHS, WASM_DIR } from '@starling/protocol';
import type { RequestContext } from './http-context';
import { HttpError, sendBytes, sendFile } from './http-util';
import { looksLikeAppRoute, resolveFile, unsafePathReason } from './static-files';

/** GET-only files: the MNIST payloads of the current run, the TF.js wasm binaries, the web app. */

const SHARD_ROUTE = pathPattern('shard');
const WASM_NAME = /^[A-Za-z0-9._-]+\.wasm$/;

/** Serves a data payload, a wasm binary or a file of the web app; 404 (HttpError) when there is none. */
export async function serveStatic(ctx: RequestContext): Promise<void> {
  const { path, query, head, res, deps } = ctx;
  const data = deps.runs.current.data;
  const shard = SHARD_ROUTE.exec(path);
  if (shard !== null) {
    noQuery(query);
    const index = parseShardIndex(shard[1], data.shardCount);
    return sendBytes(res, await loadData(() => data.shard(index)), head);
  }
  if (path === PATHS.testSet) {
    noQuery(query);
    return sendBytes(res, await loadData(() => data.test()), head);
  }
  if (path.startsWith(WASM_DIR)) {
    const name = path.slice(WASM_DIR.length);
    const file = deps.wasmDir !== undefined && WASM_NAME.test(name) ? await resolveFile(deps.wasmDir, `/${name}`) : null;
    if (file === null) throw new HttpError(404, 'not-found', `no TF.js wasm binary '${name}'`);
    return sendFile(res, file, head, 'public, max-age=3600');
  }
  if (isApiPath(path)) throw new HttpError(404, 'not-found', `no route ${path.slice(0, 200)}`);
  return serveApp(deps.webDist, path, ctx);
}

async function serveApp(webDist: string, path: string, { res, head }: RequestContext): Promise<void> {
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
