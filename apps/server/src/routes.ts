/** URL paths shared by the HTTP router and the `welcome` message, so they cannot drift apart. */
export const ROUTES = {
  run: '/api/run',
  runState: '/api/run/state',
  peers: '/api/peers',
  runs: '/api/runs',
  tasks: '/api/tasks',
  shardPrefix: '/data/train/shard/',
  test: '/data/test',
  wasmPrefix: '/tfjs-wasm/',
  health: '/api/health',
} as const;

export function shardUrl(index: number): string {
  return `${ROUTES.shardPrefix}${index}`;
}

/** Paths that never fall back to the web app's index.html. */
export function isApiPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/api' || path.startsWith('/data/') || path.startsWith(ROUTES.wasmPrefix) || path.startsWith('/socket.io/');
}
