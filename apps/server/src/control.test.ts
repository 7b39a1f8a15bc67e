import type {
  HttpErrorBody,
  MetricsResponse,
  NewRunResponse,
  PeerLossesResponse,
  RunChangedPayload,
  RunInfo,
  RunsResponse,
  RunStatePayload,
  TopologyPayload,
  WelcomePayload,
} from '@starling/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { adminHeaders, nextEvent, telemetryReport, TestSession, until } from './test-support';

/** Run control (admin only), run history, topology and the recorded series, over real HTTP and socket.io. */

const session = new TestSession();
afterEach(() => session.cleanup());

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('admin authentication', () => {
  it('delivers a refusal even when the request body is still arriving (no reset racing the 401)', async () => {
    const s = await session.start({});
    // The body's second half comes after the server has decided: replying and closing before
    // reading it makes the client see a reset ("fetch failed") instead of the 401.
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('{"paused":'));
        await later;
        controller.enqueue(new TextEncoder().encode('true}'));
        controller.close();
      },
    });
    const pending = fetch(`${s.url}/api/run/state`, { method: 'POST', body, duplex: 'half' } as RequestInit & { duplex: 'half' });
    await until(() => s.run.counters.httpErrors > 0, 'the refusal'); // the server has decided by now
    release();
    const res = await pending;
    expect(res.status).toBe(401);
    expect((await json<HttpErrorBody>(res)).error.code).toBe('unauthorized');
  });

  it('refuses control without a token (401) or with a wrong one (403), and counts both', async () => {
    const s = await session.start({ lossRate: 0.1 });
    const peer = await session.peer(s.url);
    const body = JSON.stringify({ paused: true });
    const none = await fetch(`${s.url}/api/run/state`, { method: 'POST', body });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await json<HttpErrorBody>(none)).error.code).toBe('unauthorized');
    const wrong = await fetch(`${s.url}/api/run/state`, { method: 'POST', body, headers: adminHeaders('not-the-admin-token-at-all') });
    expect(wrong.status).toBe(403);
    expect((await json<HttpErrorBody>(wrong)).error.code).toBe('forbidden');
    const malformed = await fetch(`${s.url}/api/run/state`, { method: 'POST', body, headers: { Authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    // A peer's upload token is not an admin token.
    const peerToken = await fetch(`${s.url}/api/run/state`, { method: 'POST', body, headers: adminHeaders(peer.welcome.uploadToken) });
    expect(peerToken.status).toBe(403);
    expect(s.run.state.paused).toBe(false);

    const info = await json<RunInfo>(await fetch(`${s.url}/api/run`));
    expect(info.counters['httpErrorsByCode.unauthorized']).toBe(2);
    expect(info.counters['httpErrorsByCode.forbidden']).toBe(2);
    expect(info.counters.httpErrors).toBe(4);
  });

  it('with the token pauses the run, changes the loss rate and tells every peer', async () => {
    const s = await session.start({ lossRate: 0.1 });
    const a = await session.peer(s.url);
    const b = await session.peer(s.url);
    const seen = [a, b].map((p) => nextEvent<RunStatePayload>(p.socket, 'run-state', (r) => r.paused));
    const res = await fetch(`${s.url}/api/run/state`, { method: 'POST', body: JSON.stringify({ paused: true, lossRate: 0.4 }), headers: adminHeaders() });
    expect(res.status).toBe(200);
    expect(await json<RunStatePayload>(res)).toEqual({ paused: true, lossRate: 0.4 });
    expect(await Promise.all(seen)).toEqual([
      { paused: true, lossRate: 0.4 },
      { paused: true, lossRate: 0.4 },
    ]);
    const info = await json<RunInfo>(await fetch(`${s.url}/api/run`));
    expect(info).toMatchObject({ paused: true, lossRate: 0.4, status: 'running' });
  });
});

describe('new runs', () => {
  it('ends the current run, starts one with the new config and re-welcomes every connected peer', async () => {
    const s = await session.start({ algorithm: 'rfast', topology: { kind: 'ring' } });
    const first = s.run.runId;
    const a = await session.peer(s.url);
    const b = await session.peer(s.url);
    // First reports are baselines; the growth after them counts.
    for (const p of [a, b]) p.socket.emit('telemetry', telemetryReport({ steps: 0, samples: 0 }));
    a.socket.emit('telemetry', telemetryReport({ steps: 10, samples: 320 }));
    b.socket.emit('telemetry', telemetryReport({ steps: 20, samples: 640 }));
    await until(() => s.run.totalSamples() === 960, 'telemetry');
    const obs = await session.observer(s.url);
    const welcomes = [a, b].map((p) => nextEvent<WelcomePayload>(p.socket, 'welcome'));
    const changed = nextEvent<RunChangedPayload>(obs.socket, 'run-changed');
    const peerChanged = nextEvent<RunChangedPayload>(a.socket, 'run-changed');

    const config = { algorithm: 'dpsgd', topology: { kind: 'exponential' }, lr: 0.02 };
    const res = await fetch(`${s.url}/api/runs`, { method: 'POST', body: JSON.stringify({ config }), headers: adminHeaders() });
    expect(res.status).toBe(201);
    const { runId } = await json<NewRunResponse>(res);
    expect(runId).not.toBe(first);
    expect((await changed).runId).toBe(runId);
    expect((await peerChanged).runId).toBe(runId);

    const [wa, wb] = await Promise.all(welcomes);
    for (const w of [wa, wb]) {
      expect(w).toMatchObject({ runId, config: { algorithm: 'dpsgd', lr: 0.02, runId }, checkpointUrl: null });
      expect(w.neighbours.members).toEqual([wa.peerId, wb.peerId].sort((x, y) => x - y));
    }
    expect(wa.peerId).not.toBe(wb.peerId);
    expect(wa.uploadToken).not.toBe(a.welcome.uploadToken);
    expect(wa.epoch).toBe(wb.epoch);

    const info = await json<RunInfo>(await fetch(`${s.url}/api/run`));
    expect(info).toMatchObject({ runId, status: 'running', members: [wa.peerId, wb.peerId].sort() });
    const { runs } = await json<RunsResponse>(await fetch(`${s.url}/api/runs`));
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      [runId, 'running'],
      [first, 'finished'],
    ]);
    expect(runs[1].endedAt).toEqual(expect.any(Number));
    expect(runs[1].peakPeers).toBe(2);
    expect(runs[0].config.algorithm).toBe('dpsgd');

    // The new run counts only its own samples: a keeps its running count, b restarts its.
    a.socket.emit('telemetry', telemetryReport({ steps: 15, samples: 480 }));
    b.socket.emit('telemetry', telemetryReport({ steps: 1, samples: 32 }));
    await until(() => s.run.counters.telemetryReports === 6, 'telemetry');
    expect(s.run.totalSamples()).toBe(160 + 32);
    expect(s.run.counters.telemetryImplausible).toBe(0);

    // The old run takes no more snapshots.
    const upload = await fetch(`${s.url}/api/runs/${first}/snapshots`, {
      method: 'POST',
      headers: { 'x-starling-peer': String(a.welcome.peerId), 'x-starling-token': a.welcome.uploadToken, 'x-starling-steps': '1' },
      body: new Uint8Array(8),
    });
    expect(upload.status).toBe(409);
  });

  it('refuses a bad request without changing the run', async () => {
    const s = await session.start();
    const runId = s.run.runId;
    const post = (body: string, headers = adminHeaders()) => fetch(`${s.url}/api/runs`, { method: 'POST', body, headers });
    expect((await post('{"config": {}}', {})).status).toBe(401);
    expect((await post('{"config": {}}', adminHeaders('x'.repeat(30)))).status).toBe(403);
    expect((await post('{"config": ')).status).toBe(400);
    const bad = await post(JSON.stringify({ config: { algorithm: 'sgd', lr: -1 } }));
    expect(bad.status).toBe(400);
    const msg = (await json<HttpErrorBody>(bad)).error.message;
    expect(msg).toContain('config.algorithm');
    expect(msg).toContain('config.lr');
    expect((await post(JSON.stringify({ config: {}, extra: 1 }))).status).toBe(400);
    expect((await post(JSON.stringify({ config: { runId } }))).status).toBe(409);
    expect(s.run.runId).toBe(runId);
    const named = await post(JSON.stringify({ config: { runId: 'my-run' } }));
    expect(await json<NewRunResponse>(named)).toEqual({ runId: 'my-run' });
  });
});

describe('topology and series', () => {
  it('shows observers the directed edges of every epoch', async () => {
    const s = await session.start({ topology: { kind: 'ring' } });
    const obs = await session.observer(s.url);
    expect(obs.observing.topology).toEqual({ rOut: {}, cOut: {} });
    const one = nextEvent<TopologyPayload>(obs.socket, 'topology', (t) => t.members.length === 2);
    const a = await session.peer(s.url);
    const b = await session.peer(s.url);
    const t = await one;
    const ids = [a.welcome.peerId, b.welcome.peerId];
    expect(t.members).toEqual(ids);
    // A ring of two: each sends to the other.
    expect(t.topology.rOut[ids[0]]).toEqual([ids[1]]);
    expect(t.topology.cOut[ids[1]]).toEqual([ids[0]]);
    const info = await json<RunInfo>(await fetch(`${s.url}/api/run`));
    expect(info.topology).toEqual(t.topology);
    expect(info.epoch).toBe(t.epoch);
  });

  it('records one point per tick from live telemetry and serves it thinned', async () => {
    let now = 5_000_000;
    const s = await session.start({}, { clock: () => now });
    const a = await session.peer(s.url);
    const b = await session.peer(s.url);
    expect(s.recorder.tick()).toBeTruthy(); // before any report: peers, no losses
    for (let i = 1; i <= 5; i++) {
      now += 1000;
      // A peer's first report is its baseline (samples count from there): here both start at 0.
      a.socket.emit('telemetry', telemetryReport({ steps: 10 * (i - 1), samples: 100 * (i - 1), loss: 1 / i, stepsPerSec: 10 }));
      b.socket.emit('telemetry', telemetryReport({ steps: 5 * (i - 1), samples: 50 * (i - 1), loss: 2 / i, stepsPerSec: 5 }));
      const want = 2 * i;
      await until(() => s.run.counters.telemetryReports === want, 'telemetry');
      s.recorder.tick();
    }
    const { points } = await json<MetricsResponse>(await fetch(`${s.url}/api/runs/${s.run.runId}/metrics`));
    expect(points).toHaveLength(6);
    expect(points[0]).toMatchObject({ peers: 2, meanLoss: null, stepsPerSec: 0, samples: 0 });
    expect(points[5]).toEqual({ t: now, samples: 600, meanLoss: expect.closeTo(0.3, 12), minLoss: 0.2, maxLoss: 0.4, stepsPerSec: 15, peers: 2 });
    const thin = await json<MetricsResponse>(await fetch(`${s.url}/api/runs/${s.run.runId}/metrics?maxPoints=3`));
    expect(thin.points.length).toBeLessThanOrEqual(3);
    expect(thin.points[thin.points.length - 1].samples).toBe(600);
    const losses = await json<PeerLossesResponse>(await fetch(`${s.url}/api/runs/${s.run.runId}/peer-losses`));
    expect(losses.series.map((x) => x.peerId)).toEqual([a.welcome.peerId, b.welcome.peerId]);
    expect(losses.series[1].points.map((p) => p.loss)).toEqual([2, 1, 2 / 3, 0.5, 0.4]);

    expect((await fetch(`${s.url}/api/runs/${s.run.runId}/metrics?maxPoints=1`)).status).toBe(400);
    expect((await fetch(`${s.url}/api/runs/${s.run.runId}/metrics?maxPoints=abc`)).status).toBe(400);
    const unknown = await fetch(`${s.url}/api/runs/nope/metrics`);
    expect(unknown.status).toBe(404);
    expect((await json<HttpErrorBody>(unknown)).error.code).toBe('unknown-run');
    expect((await fetch(`${s.url}/api/runs/nope/evaluations`)).status).toBe(404);
  });

  it('writes nothing while a run has no peers', async () => {
    const s = await session.start();
    expect(s.recorder.tick()).toBeNull();
    expect(s.store.metrics.points(s.run.runId, 100)).toEqual([]);
  });
});
