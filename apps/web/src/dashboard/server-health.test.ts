import type { HealthResponse } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { limitLines, refusalRows } from './server-health';

describe('server health', () => {
  it('lists the non-zero refusals in words, largest first, and ignores other counters', () => {
    const rows = refusalRows({ 'rejectedByCode.rate-limited': 4900, floodDisconnects: 1, 'httpErrorsByCode.payload-too-large': 0, telemetryReports: 99, uncaughtErrors: 0 });
    expect(rows).toEqual([
      { key: 'rejectedByCode.rate-limited', label: 'socket events over the rate limit', count: 4900 },
      { key: 'floodDisconnects', label: 'connections cut for flooding', count: 1 },
    ]);
    expect(refusalRows({})).toEqual([]);
  });

  it('states the limits in effect', () => {
    const r = { burst: 16, perSecond: 0.5 };
    const h = { limits: { maxPeersPerAddress: 16, maxConnectionsPerAddress: 256, joinsPerAddress: r, httpRequestsPerAddress: r, eventsPerConnection: r, signalsPerConnection: r, maxBufferedBytes: 4 * 2 ** 20 } } as HealthResponse;
    expect(limitLines(h)[0]).toBe('16 peers and 256 connections per address');
    expect(limitLines(h)[1]).toBe('joins per address: 16 at once, then 0.5/s');
    expect(limitLines(h)[4]).toContain('4 MiB');
  });
});
