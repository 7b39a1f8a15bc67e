/**
 * Every URL path the server answers, in one place. The server's router matches these templates
 * (`pathPattern`), and its clients (the peer runtime, the dashboard, the welcome message) build URLs
 * from them (`pathTo`), so the two cannot drift apart. A `:name` segment is a parameter: one path
 * segment, percent-encoded when built and decoded by the router.
 */
export const PATHS = {
  health: '/api/health',
  run: '/api/run',
  runState: '/api/run/state',
  peers: '/api/peers',
  runs: '/api/runs',
  /** GET: the tasks a run may name; POST (admin): upload a task, multipart/form-data (apps/server/README.md). */
  tasks: '/api/tasks',
  metrics: '/api/runs/:runId/metrics',
  peerLosses: '/api/runs/:runId/peer-losses',
  evaluations: '/api/runs/:runId/evaluations',
  /** Test examples with the predictions of the latest evaluated snapshot (or generated text). */
  samples: '/api/runs/:runId/samples',
  snapshots: '/api/runs/:runId/snapshots',
  checkpoint: '/api/runs/:runId/checkpoint',
  modelJson: '/api/runs/:runId/model/model.json',
  modelWeights: '/api/runs/:runId/model/weights.bin',
  shard: '/data/train/shard/:index',
  testSet: '/data/test',
  /** An uploaded task's initial weights (the owner's model), little-endian float32. */
  taskInitial: '/data/tasks/:taskId/initial',
  wasm: '/tfjs-wasm/:file',
} as const;
export type PathName = keyof typeof PATHS;

/** Prefixes that are never the web app: a miss under them is a 404, not index.html. */
export const API_PREFIXES = ['/api/', '/data/', '/tfjs-wasm/', '/socket.io/'] as const;
/** Where the server serves the TF.js wasm binaries (`backendOptions.wasmPaths` of a page). */
export const WASM_DIR = PATHS.wasm.slice(0, PATHS.wasm.lastIndexOf('/') + 1);

type Params<T extends string> = T extends `${string}:${infer P}/${infer Rest}`
  ? { [K in P | keyof Params<`/${Rest}`>]: string | number }
  : T extends `${string}:${infer P}`
    ? { [K in P]: string | number }
    : Record<never, never>;

/** The parameter names of a path template, in order. */
export function pathParams(template: string): string[] {
  return template.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
}

/** A concrete path: `pathTo('metrics', { runId: 'a/b' })` is `/api/runs/a%2Fb/metrics`. */
export function pathTo<N extends PathName>(name: N, ...params: keyof Params<(typeof PATHS)[N]> extends never ? [] : [Params<(typeof PATHS)[N]>]): string {
  const values = (params[0] ?? {}) as Record<string, string | number>;
  return PATHS[name]
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg;
      const v = values[seg.slice(1)];
      if (v === undefined) throw new Error(`pathTo('${name}'): missing parameter ${seg.slice(1)}`);
      return encodeURIComponent(String(v));
    })
    .join('/');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A RegExp matching the template exactly, one (still encoded) capture group per parameter. An empty
 * segment matches too, so the route answers what is wrong with it (400 for a shard index of '').
 */
export function pathPattern(name: PathName): RegExp {
  const body = PATHS[name]
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '([^/]*)' : escapeRegExp(seg)))
    .join('/');
  return new RegExp(`^${body}$`);
}

/** Paths that never fall back to the web app's index.html. */
export function isApiPath(path: string): boolean {
  return path === '/api' || API_PREFIXES.some((p) => path.startsWith(p));
}
