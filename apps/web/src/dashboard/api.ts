import { pathTo, type TaskSamples, type TaskSummary } from '@starling/protocol';
import type { DashPeersPayload, Evaluation, HealthResponse, MetricPoint, NewRunRequest, PeerLossSeries, RunInfo, RunStatePayload, RunSummary } from './types';

/**
 * Typed wrappers around the server's REST API. Every failure becomes an `ApiError` with the HTTP
 * status and the server's `{ error: { code, message } }`; `describeApiError` turns it into a
 * sentence for the page. Response bodies get a shape check on their top level (the server is
 * trusted, but a proxy or an older server may answer something else).
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiOptions {
  token: string | null;
  fetch?: FetchLike;
  /** Prefix of every path; '' means the page's own origin. */
  base?: string;
}

export interface ApiClient {
  run(): Promise<RunInfo>;
  peers(): Promise<DashPeersPayload>;
  runs(): Promise<RunSummary[]>;
  metrics(runId: string, maxPoints: number): Promise<MetricPoint[]>;
  peerLosses(runId: string, maxPoints: number): Promise<PeerLossSeries[]>;
  evaluations(runId: string): Promise<Evaluation[]>;
  /** The server's refusal counters, memory and limits in effect. */
  health(): Promise<HealthResponse>;
  /** The tasks a new run may name (built-in and uploaded). */
  tasks(): Promise<TaskSummary[]>;
  /** Admin: uploads a task (multipart form of POST /api/tasks); resolves with its id. */
  uploadTask(form: FormData): Promise<string>;
  /** The latest evaluated snapshot's samples, or null when there are none yet. */
  samples(runId: string): Promise<TaskSamples | null>;
  setRunState(update: Partial<RunStatePayload>): Promise<RunStatePayload>;
  startRun(request: NewRunRequest): Promise<{ runId: string }>;
  /** Download links for the latest checkpoint (admin; the token rides in the query). */
  modelUrls(runId: string): { modelJson: string; weights: string } | null;
}

export function createApi(opts: ApiOptions): ApiClient {
  const base = opts.base ?? '';
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => fetch(input, init));
  const enc = encodeURIComponent;

  async function request(path: string, init?: RequestInit & { admin?: boolean }): Promise<Record<string, unknown>> {
    const headers = new Headers(init?.headers);
    if (init?.admin && opts.token) headers.set('Authorization', `Bearer ${opts.token}`);
    if (init?.body !== undefined && !(init.body instanceof FormData)) headers.set('Content-Type', 'application/json');
    let res: Response;
    try {
      res = await doFetch(base + path, { ...init, headers });
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the server (${e instanceof Error ? e.message : String(e)})`);
    }
    const text = await res.text().catch(() => '');
    const body = parseJson(text);
    if (!res.ok) {
      const err = isRecord(body) && isRecord(body.error) ? body.error : null;
      const code = typeof err?.code === 'string' ? err.code : `http-${res.status}`;
      const message = typeof err?.message === 'string' ? err.message : text.slice(0, 200) || res.statusText || 'no details';
      throw new ApiError(res.status, code, message);
    }
    if (!isRecord(body)) throw new ApiError(res.status, 'bad-response', `${path} did not answer a JSON object`);
    return body;
  }

  function field<T>(body: Record<string, unknown>, key: string, path: string, check: (v: unknown) => boolean): T {
    const v = body[key];
    if (!check(v)) throw new ApiError(200, 'bad-response', `${path}: missing or malformed "${key}"`);
    return v as T;
  }

  const get = (path: string) => request(path);
  const post = (path: string, payload: unknown) => request(path, { method: 'POST', admin: true, body: JSON.stringify(payload) });

  return {
    async run() {
      const path = pathTo('run');
      const b = await get(path);
      field<string>(b, 'runId', path, (v) => typeof v === 'string');
      field<object>(b, 'config', path, isRecord);
      return b as unknown as RunInfo;
    },
    async peers() {
      const path = pathTo('peers');
      const b = await get(path);
      field<unknown[]>(b, 'peers', path, Array.isArray);
      return b as unknown as DashPeersPayload;
    },
    async runs() {
      const path = pathTo('runs');
      return field<RunSummary[]>(await get(path), 'runs', path, Array.isArray);
    },
    async metrics(runId, maxPoints) {
      const path = `${pathTo('metrics', { runId })}?maxPoints=${maxPoints}`;
      return field<MetricPoint[]>(await get(path), 'points', path, Array.isArray);
    },
    async peerLosses(runId, maxPoints) {
      const path = `${pathTo('peerLosses', { runId })}?maxPoints=${maxPoints}`;
      return field<PeerLossSeries[]>(await get(path), 'series', path, Array.isArray);
    },
    async evaluations(runId) {
      const path = pathTo('evaluations', { runId });
      return field<Evaluation[]>(await get(path), 'evaluations', path, Array.isArray);
    },
    async health() {
      const path = pathTo('health');
      const b = await get(path);
      field<object>(b, 'counters', path, isRecord);
      field<object>(b, 'limits', path, isRecord);
      return b as unknown as HealthResponse;
    },
    async uploadTask(form) {
      // No JSON content type: the browser sets the multipart boundary itself.
      const path = pathTo('tasks');
      const b = await request(path, { method: 'POST', admin: true, body: form });
      const task = field<{ id: string }>(b, 'task', path, isRecord);
      return String(task.id);
    },
    async tasks() {
      const path = pathTo('tasks');
      return field<TaskSummary[]>(await get(path), 'tasks', path, Array.isArray);
    },
    async samples(runId) {
      try {
        return (await get(pathTo('samples', { runId }))) as unknown as TaskSamples;
      } catch (e) {
        if (e instanceof ApiError && e.code === 'no-samples') return null;
        throw e;
      }
    },
    async setRunState(update) {
      return (await post(pathTo('runState'), update)) as unknown as RunStatePayload;
    },
    async startRun(req) {
      const path = pathTo('runs');
      const b = await post(path, req);
      return { runId: field<string>(b, 'runId', path, (v) => typeof v === 'string') };
    },
    modelUrls(runId) {
      if (!opts.token) return null;
      const q = `?token=${enc(opts.token)}`;
      return { modelJson: `${base}${pathTo('modelJson', { runId })}${q}`, weights: `${base}${pathTo('modelWeights', { runId })}${q}` };
    },
  };
}

/** A sentence for the page: what went wrong and, where there is one, what to do about it. */
export function describeApiError(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  switch (true) {
    case e.status === 0:
      return `Cannot reach the server: ${e.message}. Is it still running?`;
    case e.status === 401:
      return `Admin access required (401): ${e.message}. Open the dashboard with the admin link the server printed at start-up (…/dashboard#token=…).`;
    case e.status === 403:
      return `The admin token was refused (403): ${e.message}. The server may have restarted with a new token; use the link it printed.`;
    case e.status === 400:
      return `The server rejected the request (400): ${e.message}`;
    case e.status === 404:
      return `Not found (404): ${e.message}`;
    case e.status === 429:
      return `Too many requests (429): ${e.message}. Wait a moment and try again.`;
    case e.status >= 500:
      return `Server error (${e.status}): ${e.message}`;
    case e.code === 'bad-response':
      return `Unexpected answer from the server: ${e.message}`;
    default:
      return `Request failed (${e.status} ${e.code}): ${e.message}`;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
