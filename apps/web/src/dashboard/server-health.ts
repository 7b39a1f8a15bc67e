import type { HealthResponse } from '@starling/protocol';

/**
 * What the "Server health" card shows from GET /api/health: every refusal the server counted,
 * in words, busiest first. An attack (a flood, a seat grab, garbage uploads) shows up here as
 * numbers while the run keeps going.
 */

/** Counters that count refusals or cut-offs, with what they mean to the owner. */
const REFUSALS: Record<string, string> = {
  'rejectedByCode.invalid-payload': 'malformed socket events',
  'rejectedByCode.unknown-event': 'unknown socket events',
  'rejectedByCode.hello-required': 'events before hello',
  'rejectedByCode.already-joined': 'repeated hellos',
  'rejectedByCode.not-a-peer': 'peer events from observers',
  'rejectedByCode.unknown-peer': 'signals to no live peer',
  'rejectedByCode.run-full': 'joins refused: run full',
  'rejectedByCode.rate-limited': 'socket events over the rate limit',
  'rejectedByCode.address-full': 'joins refused: address holds its maximum of peers',
  'rejectedByCode.implausible-telemetry': 'implausible telemetry reports',
  'rejectedByCode.ejected': 'peers ejected for hostile frames, and their rejoins',
  'httpErrorsByCode.bad-request': 'malformed HTTP requests',
  'httpErrorsByCode.bad-snapshot': 'bad snapshot uploads',
  'httpErrorsByCode.unauthorized': 'requests without a token',
  'httpErrorsByCode.forbidden': 'requests with a wrong token',
  'httpErrorsByCode.payload-too-large': 'oversized bodies',
  'httpErrorsByCode.rate-limited': 'HTTP requests over the rate limit',
  'httpErrorsByCode.request-timeout': 'stalled requests timed out',
  'httpErrorsByCode.headers-too-large': 'oversized headers',
  connectionsRefused: 'connections over the per-address cap',
  floodDisconnects: 'connections cut for flooding',
  slowClientDisconnects: 'clients cut for not reading',
  sendsSkipped: 'updates skipped for slow dashboards',
  bodiesCut: 'request bodies cut off',
  httpClientsGone: 'clients gone mid-request',
  socketErrors: 'undecodable socket packets',
  snapshotsRejected: 'snapshots rejected as checkpoints',
  internalErrors: 'internal errors (server bugs)',
  uncaughtErrors: 'uncaught errors (server bugs)',
};

export interface RefusalRow {
  key: string;
  label: string;
  count: number;
}

/** The non-zero refusal counters, largest first. */
export function refusalRows(counters: Readonly<Record<string, number>>): RefusalRow[] {
  const rows: RefusalRow[] = [];
  for (const [key, label] of Object.entries(REFUSALS)) {
    const count = counters[key];
    if (typeof count === 'number' && count > 0) rows.push({ key, label, count });
  }
  return rows.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** The per-client limits in one line each. */
export function limitLines(h: HealthResponse): string[] {
  const l = h.limits;
  const rate = (r: { burst: number; perSecond: number }) => `${r.burst} at once, then ${r.perSecond}/s`;
  return [
    `${l.maxPeersPerAddress} peers and ${l.maxConnectionsPerAddress} connections per address`,
    `joins per address: ${rate(l.joinsPerAddress)}`,
    `HTTP requests per address: ${rate(l.httpRequestsPerAddress)}`,
    `events per connection: ${rate(l.eventsPerConnection)}; signals: ${rate(l.signalsPerConnection)}`,
    `at most ${(l.maxBufferedBytes / 2 ** 20).toFixed(0)} MiB queued for a client that does not read`,
  ];
}
