import { describe, expect, it } from 'vitest';
import { RunSeries } from './run-series';
import { emaSmooth, meanOf } from './series';
import { payload, peer } from './test-fixtures';
import type { MetricPoint } from './types';

const limits = { capacity: 1000, maxPeerColumns: 16 };

describe('RunSeries.appendPeers', () => {
  it('assembles per-peer lines, the live mean and the run total from successive payloads', () => {
    const s = new RunSeries(limits);
    const frames = [
      payload(1000, [peer(0, { loss: 2.0, samples: 32 }), peer(1, { loss: 2.4, samples: 64 })]),
      payload(2000, [peer(0, { loss: 1.8, samples: 96 }), peer(1, { loss: 2.2, samples: 128 }), peer(2, { loss: 2.3, samples: 32 })]),
      payload(3000, [peer(0, { loss: 1.5, samples: 160 }), peer(1, { state: 'left', loss: 2.1, samples: 128 }), peer(2, { loss: 2.0, samples: 96 })]),
    ];
    for (const f of frames) expect(s.appendPeers(f)).toBe(true);
    const v = s.view('time', null, 100);
    expect(v.peerIds).toEqual([0, 1, 2]);
    expect(v.cols.x).toEqual(frames.map((f) => f.at / 1000));
    const lossOf = (f: (typeof frames)[number], id: number) => {
      const p = f.peers.find((q) => q.id === id && q.state === 'live');
      return p?.loss ?? null;
    };
    for (let k = 0; k < 3; k++) expect(v.cols.ys[k]).toEqual(frames.map((f) => lossOf(f, k)));
    expect(v.cols.ys[3]).toEqual(frames.map((f) => meanOf(f.peers.filter((p) => p.state === 'live').map((p) => p.loss))));
    const samples = s.view('samples', null, 100).cols.x;
    expect(samples).toEqual(frames.map((f) => f.peers.reduce((a, p) => a + p.samples, 0)));
  });

  it('never lets the run total go back when the server forgets a departed peer', () => {
    const s = new RunSeries(limits);
    s.appendPeers(payload(1, [peer(0, { samples: 500 }), peer(1, { samples: 300 })]));
    s.appendPeers(payload(2, [peer(1, { samples: 310 })]));
    expect(s.view('samples', null, 10).cols.x).toEqual([800, 800]);
    expect(s.latestSamples()).toBe(800);
  });

  it('ignores stale, duplicate and empty payloads', () => {
    const s = new RunSeries(limits);
    expect(s.appendPeers(payload(2000, [peer(0, { loss: 1 })]))).toBe(true);
    expect(s.appendPeers(payload(2000, [peer(0, { loss: 9 })]))).toBe(false);
    expect(s.appendPeers(payload(1500, [peer(0, { loss: 9 })]))).toBe(false);
    expect(s.appendPeers(payload(3000, []))).toBe(false);
    expect(s.length).toBe(1);
  });

  it('stays within capacity over a long run with uniform resolution, the newest row still moving', () => {
    const s = new RunSeries({ capacity: 200, maxPeerColumns: 4 });
    const n = 5_000;
    for (let i = 1; i <= n; i++) s.appendPeers(payload(i * 1000, [peer(0, { loss: 1 / i, samples: 32 * i })]));
    expect(s.length).toBeLessThanOrEqual(200);
    expect(s.length).toBeGreaterThanOrEqual(100);
    const v = s.view('time', null, 10_000);
    const x = v.cols.x;
    expect(x[x.length - 1]).toBe(n);
    // The whole run is still there: the first row ends within a few strides of the start.
    expect(x[0]).toBeLessThanOrEqual((2 * n) / s.length);
    const gaps = x.slice(1).map((t, i) => t - x[i]);
    const closed = gaps.slice(0, -1);
    expect(Math.max(...closed)).toBeLessThanOrEqual(2 * Math.min(...closed));
    // Averaging inside rows keeps the loss between its neighbours' raw values.
    for (let i = 0; i < x.length; i++) {
      expect(v.cols.ys[0][i]!).toBeLessThanOrEqual(1 / Math.max(1, x[i] - 2 * gaps[0]));
      expect(v.cols.ys[0][i]!).toBeGreaterThanOrEqual(1 / x[i] - 1e-12);
    }
    // One more payload moves the open row rather than adding one.
    const before = s.length;
    s.appendPeers(payload((n + 1) * 1000, [peer(0, { loss: 0.0001, samples: 32 * (n + 1) })]));
    const after = s.view('time', null, 10_000).cols.x;
    expect(after[after.length - 1]).toBe(n + 1);
    expect(s.length === before || s.length === before + 1).toBe(true);
  });

  it('caps the number of peer lines, dropping the peer silent the longest', () => {
    const s = new RunSeries({ capacity: 100, maxPeerColumns: 2 });
    s.appendPeers(payload(1, [peer(0, { loss: 1 }), peer(1, { loss: 1 })]));
    s.appendPeers(payload(2, [peer(1, { loss: 1 })]));
    s.appendPeers(payload(3, [peer(1, { loss: 1 }), peer(2, { loss: 1 })]));
    expect(s.peerIds()).toEqual([1, 2]);
  });

  it('smooths each line with the EMA when asked', () => {
    const s = new RunSeries(limits);
    const losses = [2, 1.5, 1.9, 1.2, 1.1];
    losses.forEach((l, i) => s.appendPeers(payload(i + 1, [peer(0, { loss: l })])));
    const v = s.view('time', 0.6, 100);
    expect(v.cols.ys[0]).toEqual(emaSmooth(losses, 0.6));
    expect(v.cols.ys[1]).toEqual(emaSmooth(losses, 0.6));
  });
});

describe('RunSeries.loadHistory', () => {
  it('aligns per-peer histories with the metrics and interpolates the run total', () => {
    const metrics: MetricPoint[] = [0, 2000, 4000].map((t, i) => ({
      t, samples: 1000 * i, meanLoss: 2 - i * 0.5, minLoss: null, maxLoss: null, stepsPerSec: 1, peers: 2,
    }));
    const s = new RunSeries(limits);
    s.loadHistory(metrics, [
      { peerId: 3, points: [{ t: 0, loss: 2.1 }, { t: 1000, loss: 1.9 }, { t: 4000, loss: 1.0 }] },
      { peerId: 1, points: [{ t: 2000, loss: 1.4 }] },
    ]);
    const v = s.view('time', null, 100);
    expect(v.cols.x).toEqual([0, 1, 2, 4]);
    expect(v.peerIds).toEqual([1, 3]);
    expect(v.cols.ys[1]).toEqual([2.1, 1.9, null, 1.0]);
    expect(v.cols.ys[0]).toEqual([null, null, 1.4, null]);
    // The row at t=1000 has no recorded mean: the mean of the peers present stands in.
    expect(v.cols.ys[2]).toEqual([2, 1.9, 1.5, 1]);
    expect(s.view('samples', null, 100).cols.x).toEqual([0, 500, 1000, 2000]);
    // Live payloads continue the history.
    expect(s.appendPeers(payload(5000, [peer(3, { loss: 0.9, samples: 2100 })]))).toBe(true);
    expect(s.appendPeers(payload(3000, [peer(3, { loss: 0.9, samples: 2100 })]))).toBe(false);
    const after = s.view('time', null, 100);
    expect(after.cols.x).toEqual([0, 1, 2, 4, 5]);
    expect(after.cols.ys[1]).toEqual([2.1, 1.9, null, 1.0, 0.9]);
  });
});
