import type { TelemetryPayload } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { PeerTable, RingBuffer } from './peer-table';

const report = (steps: number): TelemetryPayload => ({
  steps,
  samples: steps * 32,
  loss: 1 / (steps + 1),
  stepsPerSec: 10,
  backend: 'webgpu',
  bytesSent: 0,
  bytesReceived: 0,
  framesSent: 0,
  framesReceived: 0,
  framesLost: steps % 3,
  framesRejected: 0,
  computeMs: 0,
  commMs: 0,
  epoch: 1,
  neighbours: 2,
});

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items, oldest first', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.length).toBe(3);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe('PeerTable', () => {
  it('bounds each peer history and summarises the latest report', () => {
    const t = new PeerTable({ history: 4, departedKept: 2 });
    t.add(3, { backend: 'wasm', shard: 1, device: 'laptop' }, 100);
    for (let s = 1; s <= 10; s++) t.record(3, report(s), 100 + s);
    expect(t.history(3).map((h) => h.steps)).toEqual([7, 8, 9, 10]);
    expect(t.summaries()).toEqual([
      expect.objectContaining({ id: 3, state: 'live', backend: 'webgpu', device: 'laptop', shard: 1, steps: 10, loss: 1 / 11, lastSeen: 110, joinedAt: 100 }),
    ]);
  });

  it("shows each link's route and round-trip time from the latest report", () => {
    const t = new PeerTable({ history: 4, departedKept: 2 });
    t.add(1, { backend: 'wasm', shard: 0 }, 0);
    t.record(1, report(1), 1);
    expect(t.summaries()[0].links).toBeUndefined();
    t.record(1, { ...report(2), links: [{ peer: 2, route: 'relay', rttMs: 3.5 }] }, 2);
    expect(t.summaries()[0].links).toEqual([{ peer: 2, route: 'relay', rttMs: 3.5 }]);
  });

  it('sums compute and communication time over every report and lists live peers', () => {
    const t = new PeerTable({ history: 2, departedKept: 2 });
    t.add(0, { backend: 'wasm', shard: 0 }, 0);
    t.add(1, { backend: 'wasm', shard: 0 }, 0);
    for (let s = 1; s <= 5; s++) t.record(0, { ...report(s), computeMs: s, commMs: 10 * s, framesSent: s, framesReceived: 2 * s }, s);
    const row = t.summaries()[0];
    // Sums over all 5 reports, though only 2 are kept in the history.
    expect(row).toMatchObject({ computeMs: 15, commMs: 150, framesSent: 5, framesReceived: 10 });
    expect(t.summaries()[1].computeMs).toBeUndefined();
    expect(row.staleness).toBeUndefined();
    t.markGone(1, 'left', 9);
    expect(t.live().map((p) => [p.id, p.latest?.steps])).toEqual([[0, 5]]);
    t.record(0, { ...report(6), staleness: 3 }, 6);
    expect(t.summaries()[0].staleness).toBe(3);
  });

  it('finds peers silent for longer than the time-out', () => {
    const t = new PeerTable({ history: 4, departedKept: 2 });
    t.add(0, { backend: 'wasm', shard: 0 }, 0);
    t.add(1, { backend: 'wasm', shard: 1 }, 0);
    t.touch(1, 4000);
    expect(t.silent(5000, 5000)).toEqual([]);
    expect(t.silent(5001, 5000)).toEqual([0]);
    t.markGone(0, 'timed-out', 5001);
    expect(t.silent(20_000, 5000)).toEqual([1]);
  });

  it('does not count an excused server stall as silence, only for the peers heard before it', () => {
    const t = new PeerTable({ history: 4, departedKept: 2 });
    t.add(0, { backend: 'wasm', shard: 0 }, 0);
    t.excuse(3000); // the server stalled 3 s after hearing peer 0
    t.add(1, { backend: 'wasm', shard: 1 }, 0); // heard after the stall: nothing excused
    expect(t.silent(5001, 5000)).toEqual([1]);
    expect(t.silent(8000, 5000)).toEqual([1]);
    expect(t.silent(8001, 5000)).toEqual([0, 1]);
    t.touch(0, 9000); // heard again: the old excuse no longer applies
    expect(t.silent(14_000, 5000)).toEqual([1]);
    expect(t.silent(14_001, 5000)).toEqual([0, 1]);
    t.excuse(-100); // a negative stall changes nothing
    expect(t.silent(14_000, 5000)).toEqual([1]);
  });

  it('gives a peer joinGraceMs until it reports its first step, then the time-out', () => {
    const t = new PeerTable({ history: 4, departedKept: 2 });
    t.add(0, { backend: 'wasm', shard: 0 }, 0);
    expect(t.silent(29_000, 5000, 30_000)).toEqual([]);
    t.record(0, { ...report(0) }, 1000); // a report with no step yet: still joining
    expect(t.silent(30_000, 5000, 30_000)).toEqual([]);
    expect(t.silent(31_001, 5000, 30_000)).toEqual([0]);
    t.record(0, report(1), 31_000);
    expect(t.silent(36_001, 5000, 30_000)).toEqual([0]);
    expect(t.silent(36_000, 5000, 30_000)).toEqual([]);
  });

  it('ignores reports for departed or unknown peers and forgets the oldest departed', () => {
    const t = new PeerTable({ history: 4, departedKept: 2 });
    for (let id = 0; id < 4; id++) t.add(id, { backend: 'wasm', shard: 0 }, 0);
    t.markGone(0, 'left', 1);
    t.record(0, report(5), 2);
    t.record(99, report(5), 2);
    expect(t.history(0)).toEqual([]);
    t.markGone(1, 'left', 3);
    t.markGone(2, 'timed-out', 4);
    expect(t.summaries().map((s) => [s.id, s.state])).toEqual([[1, 'left'], [2, 'timed-out'], [3, 'live']]);
  });
});
