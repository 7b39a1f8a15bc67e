import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@starling/core';
import { parseRunConfig, type MetricPoint } from '@starling/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SERVER_TUNING } from '../config';
import { MIGRATIONS } from './db';
import { SCHEMA_VERSION, Store } from './index';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'starling-store-'));
  store = Store.open(join(dir, 'starling.db'));
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
// Aligned to 10 minutes, so bucket boundaries fall on whole minutes of the series.
const T0 = 1_700_000_400_000;

/** `seconds` one-second points from T0 with a pseudo-random loss per peer; returns what was written. */
function writeSeries(runId: string, seconds: number, peers: number): { points: MetricPoint[]; losses: number[][] } {
  const rng = new Rng(7);
  const points: MetricPoint[] = [];
  const losses: number[][] = Array.from({ length: peers }, () => []);
  store.batch(() => {
    for (let s = 0; s < seconds; s++) {
      const ls: { peerId: number; loss: number }[] = [];
      for (let p = 0; p < peers; p++) {
        const loss = 2 * rng.next() + 0.1;
        ls.push({ peerId: p, loss });
        losses[p].push(loss);
      }
      const vals = ls.map((l) => l.loss);
      const point: MetricPoint = {
        t: T0 + s * 1000,
        samples: 32 * (s + 1) * peers,
        meanLoss: vals.reduce((a, b) => a + b, 0) / peers,
        minLoss: Math.min(...vals),
        maxLoss: Math.max(...vals),
        stepsPerSec: 10 + (s % 7),
        peers: s === 4000 ? peers + 5 : peers,
      };
      points.push(point);
      store.recordTick(runId, point, ls);
    }
  });
  return { points, losses };
}

describe('database file', () => {
  it('is WAL, migrated to the current schema and keeps data across reopening', () => {
    store.runs.create('a', parseRunConfig({ algorithm: 'dpsgd' }), T0);
    store.close();
    const raw = new Database(join(dir, 'starling.db'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
    store = Store.open(join(dir, 'starling.db'));
    expect(store.runs.get('a')?.config.algorithm).toBe('dpsgd');
  });

  it('migrates a version-1 database: old evaluations kept (as trusted), non-finite losses storable', () => {
    const file = join(dir, 'v1.db');
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0]);
    v1.pragma('user_version = 1');
    v1.prepare(`INSERT INTO runs (run_id, config, status, started_at, last_active_at) VALUES ('old', '{}', 'running', 1, 1)`).run();
    v1.prepare(`INSERT INTO evaluations (run_id, t, peer_id, snapshot_steps, snapshot_age_ms, samples, accuracy, loss, test_count, eval_ms) VALUES ('old', 5, 1, 2, 3, 4, 0.5, 0.7, 10, 1)`).run();
    expect(() => v1.prepare(`INSERT INTO evaluations (run_id, t, peer_id, snapshot_steps, snapshot_age_ms, samples, accuracy, loss, test_count, eval_ms) VALUES ('old', 6, 1, 2, 3, 4, 0.5, ?, 10, 1)`).run(NaN)).toThrow(/NOT NULL/);
    v1.close();
    const s = Store.open(file);
    try {
      expect(s.evaluations.list('old', 10)).toEqual([
        { t: 5, runId: 'old', peerId: 1, snapshotSteps: 2, snapshotAgeMs: 3, samples: 4, accuracy: 0.5, loss: 0.7, testCount: 10, evalMs: 1, verdict: 'trusted', reason: null, paramNorm: null, maxAbs: null },
      ]);
      const e = { runId: 'old', peerId: 1, snapshotSteps: 2, snapshotAgeMs: 3, samples: 4, accuracy: 0.1, loss: null, testCount: 10, evalMs: 1, verdict: 'rejected', reason: 'its test loss is NaN', paramNorm: 1e9, maxAbs: 3e38 } as const;
      s.evaluations.insert({ ...e, t: 6 }, NaN);
      s.evaluations.insert({ ...e, t: 7, reason: 'its test loss is Infinity' }, Infinity);
      expect(s.evaluations.list('old', 10).slice(1)).toEqual([{ ...e, t: 6 }, { ...e, t: 7, reason: 'its test loss is Infinity' }]);
      // Rejected evaluations count neither for the best nor for the run's figures.
      expect(s.evaluations.bestSince('old', 0)).toEqual({ loss: 0.7, accuracy: 0.5 });
      expect(s.runs.list()[0]).toMatchObject({ finalAccuracy: 0.5, finalLoss: 0.7, bestAccuracy: 0.5 });
    } finally {
      s.close();
    }
  });
});

describe('runs', () => {
  it('lists newest first with the figures of the latest and best evaluation', () => {
    store.runs.create('old', parseRunConfig({}), T0);
    store.runs.create('new', parseRunConfig({ lr: 0.1 }), T0 + 1000);
    const ev = { runId: 'old', peerId: 1, snapshotSteps: 10, snapshotAgeMs: 5, samples: 100, testCount: 50, evalMs: 3, verdict: 'trusted', reason: null, paramNorm: 1, maxAbs: 1 } as const;
    store.evaluations.insert({ ...ev, t: T0 + 10, accuracy: 0.9, loss: 0.3 });
    store.evaluations.insert({ ...ev, t: T0 + 20, accuracy: 0.7, loss: 0.5 });
    store.runs.notePeers('old', 5, 3);
    store.runs.notePeers('old', 4, 2); // never lowers either
    store.runs.noteActivity('old', T0 + 500, 12_345);
    store.runs.finish('old', T0 + 999);
    const list = store.runs.list();
    expect(list.map((r) => r.runId)).toEqual(['new', 'old']);
    expect(list[1]).toMatchObject({
      status: 'finished',
      endedAt: T0 + 999,
      totalSamples: 12_345,
      peakPeers: 3,
      finalAccuracy: 0.7,
      finalLoss: 0.5,
      bestAccuracy: 0.9,
    });
    expect(list[0]).toMatchObject({ status: 'running', endedAt: null, finalAccuracy: null, bestAccuracy: null });
    expect(list[0].config.lr).toBe(0.1);
    expect(store.runs.get('old')?.nextPeerId).toBe(5);
  });

  it('interrupts every running run but the one kept, ending it at its last activity', () => {
    store.runs.create('a', parseRunConfig({}), T0);
    store.runs.create('b', parseRunConfig({}), T0 + 1);
    store.runs.noteActivity('a', T0 + 777, 0);
    expect(store.runs.interruptAllBut('b')).toBe(1);
    expect(store.runs.get('a')).toMatchObject({ status: 'interrupted', endedAt: T0 + 777 });
    expect(store.runs.get('b')?.status).toBe('running');
    expect(store.runs.newest()?.runId).toBe('b');
  });
});

describe('metrics', () => {
  it('round-trips points and per-peer losses at full resolution', () => {
    store.runs.create('r', parseRunConfig({}), T0);
    const { points, losses } = writeSeries('r', 30, 2);
    expect(store.metrics.points('r', 1000)).toEqual(points);
    const series = store.metrics.peerLosses('r', 1000);
    expect(series.map((s) => s.peerId)).toEqual([0, 1]);
    expect(series[1].points.map((p) => p.loss)).toEqual(losses[1]);
    expect(store.metrics.points('missing', 1000)).toEqual([]);
    expect(store.metrics.peerLosses('missing', 1000)).toEqual([]);
  });

  it('downsamples old points to one per bucket, keeping totals, extremes and weighted means', () => {
    store.runs.create('r', parseRunConfig({}), T0);
    const seconds = 2 * 3600;
    const { points, losses } = writeSeries('r', seconds, 2);
    const now = T0 + seconds * 1000;
    const r = store.metrics.downsample(now, SERVER_TUNING.downsampleTiers);
    const after = store.metrics.points('r', 1e9);
    const cutoff = Math.floor((now - HOUR) / 60_000) * 60_000;
    const recent = points.filter((p) => p.t >= cutoff);
    const minutes = Math.ceil((cutoff - T0) / 60_000);
    expect(after.length).toBe(recent.length + minutes);
    expect(r.metricsRemoved).toBe(points.length - after.length);
    expect(after.slice(minutes)).toEqual(recent);

    // One merged minute against the raw points it replaced.
    const m = 17;
    const raw = points.filter((p) => Math.floor(p.t / 60_000) === Math.floor((T0 + m * 60_000) / 60_000));
    const merged = after.find((p) => p.t === raw[raw.length - 1].t)!;
    expect(merged.samples).toBe(raw[raw.length - 1].samples);
    expect(merged.minLoss).toBe(Math.min(...raw.map((p) => p.minLoss!)));
    expect(merged.maxLoss).toBe(Math.max(...raw.map((p) => p.maxLoss!)));
    expect(merged.meanLoss).toBeCloseTo(raw.reduce((a, p) => a + p.meanLoss!, 0) / raw.length, 10);
    expect(merged.stepsPerSec).toBeCloseTo(raw.reduce((a, p) => a + p.stepsPerSec, 0) / raw.length, 10);
    // The peak peer count (second 4000 is in the recent hour here) and the last point survive.
    expect(Math.max(...after.map((p) => p.peers))).toBe(7);
    expect(after[after.length - 1]).toEqual(points[points.length - 1]);

    const series = store.metrics.peerLosses('r', 1e9);
    expect(series[0].points.length).toBe(recent.length + minutes);
    const lossMinute = series[1].points.find((p) => p.t === raw[raw.length - 1].t)!;
    const rawLosses = losses[1].slice(m * 60, m * 60 + 60);
    expect(lossMinute.loss).toBeCloseTo(rawLosses.reduce((a, b) => a + b, 0) / rawLosses.length, 10);

    // A read merging minute rows with second rows weights each by the seconds it stands for.
    const all = store.metrics.points('r', 1);
    expect(all).toHaveLength(1);
    expect(all[0].meanLoss).toBeCloseTo(points.reduce((a, p) => a + p.meanLoss!, 0) / points.length, 10);

    // A second pass at the same time has nothing to merge.
    expect(store.metrics.downsample(now, SERVER_TUNING.downsampleTiers)).toEqual({ metricsRemoved: 0, peerLossesRemoved: 0 });
  });

  it('stays bounded as the run ages: one point per 10 minutes after a day, weighted across tiers', () => {
    store.runs.create('r', parseRunConfig({}), T0);
    const { points } = writeSeries('r', 2 * 3600, 1);
    const truth = points.reduce((a, p) => a + p.meanLoss!, 0) / points.length;
    store.metrics.downsample(T0 + 2 * HOUR, SERVER_TUNING.downsampleTiers); // minutes first
    store.metrics.downsample(T0 + 30 * HOUR, SERVER_TUNING.downsampleTiers); // then 10-minute buckets
    const after = store.metrics.points('r', 1e9);
    expect(after.length).toBe(12);
    expect(after[after.length - 1].samples).toBe(points[points.length - 1].samples);
    // Re-merging minute rows weights each by the seconds it holds, so the overall mean is kept.
    const thinned = store.metrics.points('r', 2);
    expect(thinned.length).toBeLessThanOrEqual(2);
    expect(Math.min(...thinned.map((p) => p.minLoss!))).toBe(Math.min(...points.map((p) => p.minLoss!)));
    const mean = after.reduce((a, p) => a + p.meanLoss!, 0) / after.length;
    expect(mean).toBeCloseTo(truth, 10);
  });

  it('thins a read to at most maxPoints without losing the extremes or the last total', () => {
    store.runs.create('r', parseRunConfig({}), T0);
    const { points } = writeSeries('r', 1000, 3);
    for (const maxPoints of [2, 7, 100, 999]) {
      const got = store.metrics.points('r', maxPoints);
      expect(got.length).toBeLessThanOrEqual(maxPoints);
      expect(got.length).toBeGreaterThan(maxPoints / 2);
      expect(got[got.length - 1].samples).toBe(points[points.length - 1].samples);
      expect(Math.max(...got.map((p) => p.maxLoss!))).toBe(Math.max(...points.map((p) => p.maxLoss!)));
      for (let i = 1; i < got.length; i++) expect(got[i].t).toBeGreaterThan(got[i - 1].t);
      for (const s of store.metrics.peerLosses('r', maxPoints)) expect(s.points.length).toBeLessThanOrEqual(maxPoints);
    }
  });
});

describe('evaluations and checkpoints', () => {
  it('lists the newest evaluations oldest first', () => {
    store.runs.create('r', parseRunConfig({}), T0);
    for (let i = 0; i < 5; i++) {
      store.evaluations.insert({ t: T0 + i, runId: 'r', peerId: i, snapshotSteps: i * 10, snapshotAgeMs: 1, samples: i, accuracy: i / 10, loss: 1, testCount: 10, evalMs: 2, verdict: 'checkpoint', reason: null, paramNorm: 2, maxAbs: 0.5 });
    }
    expect(store.evaluations.list('r', 3).map((e) => e.peerId)).toEqual([2, 3, 4]);
    expect(store.evaluations.list('r', 100)[4]).toEqual({ t: T0 + 4, runId: 'r', peerId: 4, snapshotSteps: 40, snapshotAgeMs: 1, samples: 4, accuracy: 0.4, loss: 1, testCount: 10, evalMs: 2, verdict: 'checkpoint', reason: null, paramNorm: 2, maxAbs: 0.5 });
  });

  it('keeps the newest checkpoints per run, bit for bit', () => {
    store.runs.create('r', parseRunConfig({}), T0);
    store.runs.create('other', parseRunConfig({}), T0);
    const special = Float32Array.of(-0, 1.4e-45, 3.4028234663852886e38, -1.5, 0.1);
    for (let i = 0; i < 5; i++) {
      const params = special.map((v) => v * (i + 1));
      store.checkpoints.insert({ runId: 'r', t: T0 + i, peerId: i, steps: 100 * i, accuracy: 0.5, loss: 1 }, params, 3);
    }
    store.checkpoints.insert({ runId: 'other', t: T0, peerId: 9, steps: 1, accuracy: 0.1, loss: 2 }, special, 3);
    expect(store.checkpoints.count('r')).toBe(3);
    expect(store.checkpoints.count('other')).toBe(1);
    const c = store.checkpoints.latest('r')!;
    expect(c).toMatchObject({ runId: 'r', t: T0 + 4, peerId: 4, steps: 400, dim: 5 });
    const want = special.map((v) => v * 5);
    expect(new Uint8Array(c.params.buffer)).toEqual(new Uint8Array(want.buffer));
    expect(Object.is(store.checkpoints.latest('other')!.params[0], -0)).toBe(true);
    expect(store.checkpoints.latestMeta('r')?.steps).toBe(400);
    expect(store.checkpoints.latest('none')).toBeUndefined();
  });
});
