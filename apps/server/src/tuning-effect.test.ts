import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeersPayload, RejectedPayload } from '@starling/protocol';
import { SERVER_TUNING } from './tuning';
import type { RunningServer } from './server';
import { emitRaw, joinObserver, joinPeer, nextEvent, startTestServer, telemetryReport, until, type Client } from './test-support';

/**
 * The tuning a server is started with is the one every part of it uses: the run (peer table), the
 * host (membership, sweeps, the peers broadcast) and the hub (socket.io side). Each override here
 * is far from its default, so a part that read SERVER_TUNING instead would fail the test.
 */
let server: RunningServer | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server?.close();
  server = undefined;
});

describe('tuning overrides take effect everywhere', () => {
  it('peer table history, reject message length, peers broadcast period, sweeps', async () => {
    let now = 1_000_000;
    const tuning = { telemetryHistory: 3, maxEventNameChars: 5, peersBroadcastMs: 40, sweepsPerTimeout: 6000 };
    for (const [k, v] of Object.entries(tuning)) expect(SERVER_TUNING[k as keyof typeof tuning]).not.toBe(v);
    server = await startTestServer({ peerTimeoutMs: 600_000 }, { tuning, clock: () => now });
    const { socket, welcome } = await joinPeer(server.url);
    clients.push(socket);
    // Run: the peer table keeps telemetryHistory reports.
    for (let i = 1; i <= 6; i++) socket.emit('telemetry', telemetryReport({ steps: i * 10, samples: i * 320 }));
    await until(() => server!.counters.telemetryReports === 6, 'six reports');
    expect(server.run.peers.history(welcome.peerId).map((h) => h.steps)).toEqual([40, 50, 60]);
    // Hub: event names in rejections are cut at maxEventNameChars.
    const rejected = nextEvent<RejectedPayload>(socket, 'rejected');
    emitRaw(socket, 'no-such-event-at-all', {});
    expect((await rejected).event).toBe('no-su');
    // Host: the peers table goes out every peersBroadcastMs (the default is 1000 ms).
    const obs = await joinObserver(server.url);
    clients.push(obs.socket);
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await nextEvent<PeersPayload>(obs.socket, 'peers');
    // (at the default of 1000 ms five would take at least 4 s)
    expect(Date.now() - t0).toBeLessThan(2500);
    // Host: the sweep runs every peerTimeoutMs / sweepsPerTimeout = 100 ms (150 s by default), so a
    // peer silent past its time-out is dropped within the event's 2 s wait.
    now += 600_001;
    await nextEvent(socket, 'disconnect', () => true, 2000);
    expect(server.run.counters.timeouts).toBe(1);
  });

  it('keepAliveTimeoutMs: an idle keep-alive connection is closed by the server after it, not after 5 s', async () => {
    expect(SERVER_TUNING.keepAliveTimeoutMs).toBeGreaterThan(5_000);
    server = await startTestServer({}, { tuning: { keepAliveTimeoutMs: 300 } });
    const { port } = new URL(server.url);
    // A raw socket: an HTTP client agent would close it itself, following the Keep-Alive header.
    const closed = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let idleFrom = 0;
      socket.on('data', (d: Buffer) => {
        if (d.toString('latin1').includes('"limits"')) idleFrom = Date.now(); // the whole health body is in
      });
      socket.once('error', reject);
      socket.once('close', () => resolve(idleFrom === 0 ? -1 : Date.now() - idleFrom));
      socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    });
    // Closed by the server's 300 ms (the client agent would have kept it): not before, and well
    // before Node's default of 5 s.
    expect(closed).toBeGreaterThanOrEqual(250);
    expect(closed).toBeLessThan(4_000);
  });
});
