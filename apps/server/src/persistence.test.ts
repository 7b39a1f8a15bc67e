import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_HEADERS, pathTo, type Evaluation, type EvaluationsResponse, type MetricsResponse, type RunsResponse } from '@starling/protocol';
import { initialParams } from '@starling/training';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminHeaders, bodyOf, nextEvent, telemetryReport, TestSession, until, type TestServerOptions } from './test-support';

/**
 * Restarts: a server closed and started again on the same data directory shows every run's
 * history and resumes the unfinished run, handing joiners its latest checkpoint.
 */

const CONFIG = { model: { hidden: [8] }, snapshotIntervalMs: 1000, seed: 5 };
const SPEC = { kind: 'mlp', hidden: [8] } as const;
const TUNING = { minEvalIntervalMs: 0, checkpointMinIntervalMs: 0 };

const session = new TestSession();
let dataDir: string;
let now: number;
const opts = (): TestServerOptions => ({ options: { dataDir }, clock: () => now, tuning: TUNING });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'starling-restart-'));
  now = 10_000_000;
});
afterEach(async () => {
  await session.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

/** A first server: two metric points, one evaluated snapshot (-> checkpoint); returns what it made. */
async function firstLife() {
  const s = await session.start(CONFIG, opts());
  const obs = await session.observer(s.url);
  const { socket, welcome } = await session.peer(s.url);
  socket.emit('telemetry', telemetryReport({ steps: 0, samples: 0, loss: 2.3 }));
  socket.emit('telemetry', telemetryReport({ steps: 100, samples: 3200, loss: 0.9 }));
  await until(() => s.run.counters.telemetryReports === 2, 'telemetry');
  s.recorder.tick();
  now += 1000;
  s.recorder.tick();
  const params = initialParams(SPEC, 99);
  const evaluated = nextEvent<Evaluation>(obs.socket, 'evaluation', undefined, 20_000);
  const res = await fetch(`${s.url}${pathTo('snapshots', { runId: welcome.runId })}`, {
    method: 'POST',
    headers: { 'x-starling-peer': String(welcome.peerId), 'x-starling-token': welcome.uploadToken, 'x-starling-steps': '77' },
    body: bodyOf(params),
  });
  expect(res.status).toBe(202);
  const evaluation = await evaluated;
  const runId = welcome.runId;
  await s.close();
  return { runId, params, evaluation, firstPeer: welcome.peerId };
}

describe('restart', () => {
  it('resumes the unfinished run with its history and hands joiners the latest checkpoint', async () => {
    const before = await firstLife();
    now += 60_000;
    const s = await session.start(CONFIG, opts());
    expect(s.run.runId).toBe(before.runId);
    expect(s.run.status).toBe('running');

    const { runs } = await json<RunsResponse>(fetch(`${s.url}/api/runs`));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ runId: before.runId, status: 'running', totalSamples: 3200, peakPeers: 1, finalAccuracy: before.evaluation.accuracy });
    const { points } = await json<MetricsResponse>(fetch(`${s.url}${pathTo('metrics', { runId: before.runId })}`));
    expect(points.map((p) => p.samples)).toEqual([3200, 3200]);
    const { evaluations } = await json<EvaluationsResponse>(fetch(`${s.url}${pathTo('evaluations', { runId: before.runId })}`));
    expect(evaluations).toEqual([before.evaluation]);

    // A joiner starts from the checkpoint; peer ids are not reused across the restart.
    const { welcome } = await session.peer(s.url);
    expect(welcome.runId).toBe(before.runId);
    expect(welcome.peerId).toBeGreaterThan(before.firstPeer);
    expect(welcome.checkpointUrl).toBe(pathTo('checkpoint', { runId: before.runId }));
    const cp = await fetch(`${s.url}${welcome.checkpointUrl}`);
    expect(cp.status).toBe(200);
    expect(cp.headers.get(CHECKPOINT_HEADERS.steps)).toBe('77');
    expect(cp.headers.get(CHECKPOINT_HEADERS.peer)).toBe(String(before.firstPeer));
    expect(new Uint8Array(await cp.arrayBuffer())).toEqual(new Uint8Array(before.params.buffer));

    // Samples continue from the stored total. A peer that rejoins after the restart keeps its
    // running count (3296 here, 3200 of which the stored total has): its first report is only its
    // baseline, so nothing is counted twice; what it adds after that counts.
    expect(s.run.recordTelemetry(welcome.peerId, telemetryReport({ steps: 103, samples: 3296 }), now)).toMatchObject({ ok: true });
    expect(s.run.totalSamples()).toBe(3200);
    now += 1000;
    expect(s.run.recordTelemetry(welcome.peerId, telemetryReport({ steps: 106, samples: 3392 }), now)).toMatchObject({ ok: true });
    expect(s.run.totalSamples()).toBe(3296);
  });

  it('starts afresh with newRun or another config, marking the unfinished run interrupted', async () => {
    const before = await firstLife();
    const fresh = await session.start(CONFIG, { ...opts(), options: { dataDir, newRun: true } });
    const freshId = fresh.run.runId;
    expect(freshId).not.toBe(before.runId);
    const joiner = await session.peer(fresh.url);
    expect(joiner.welcome.checkpointUrl).toBeNull();
    expect(joiner.welcome.peerId).toBe(0);
    await fresh.close();

    now += 1000;
    const other = await session.start({ ...CONFIG, lr: 0.01 }, opts());
    expect(other.run.config.lr).toBe(0.01);
    const { runs } = await json<RunsResponse>(fetch(`${other.url}/api/runs`));
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      [other.run.runId, 'running'],
      [freshId, 'interrupted'],
      [before.runId, 'interrupted'],
    ]);
    // An interrupted run ends at its last recorded activity and keeps its checkpoint.
    expect(runs[2].endedAt).toBe(10_001_000); // the second metric tick of firstLife
    expect((await fetch(`${other.url}${pathTo('checkpoint', { runId: before.runId })}`)).status).toBe(200);
    expect((await fetch(`${other.url}${pathTo('checkpoint', { runId: other.run.runId })}`)).status).toBe(404);

    // Finishing through the API survives a restart too.
    const finished = other.run.runId;
    const res = await fetch(`${other.url}/api/runs`, { method: 'POST', body: JSON.stringify({ config: CONFIG }), headers: adminHeaders() });
    const { runId } = (await res.json()) as { runId: string };
    await other.close();
    const last = await session.start(CONFIG, opts());
    expect(last.run.runId).toBe(runId);
    const after = await json<RunsResponse>(fetch(`${last.url}/api/runs`));
    expect(after.runs.find((r) => r.runId === finished)?.status).toBe('finished');
  });

  it('does not reuse a configured run id that is taken', async () => {
    const a = await session.start({ ...CONFIG, runId: 'exp' }, opts());
    expect(a.run.runId).toBe('exp');
    await a.close();
    const b = await session.start({ ...CONFIG, runId: 'exp', lr: 0.123 }, opts()); // not the default lr: another config
    expect(b.run.runId).toBe('exp.2');
    expect(b.run.config.runId).toBe('exp.2');
  });
});
