/** The engine on its own, driven by the toy algorithm of test-support (no core algorithm involved). */
import { describe, expect, it } from 'vitest';
import { SimConfigError } from './errors';
import { runSimulation } from './simulator';
import { ToyAlgorithm, toyFactory } from './test-support';
import type { SimConfig } from './types';

function config(over: Partial<SimConfig> = {}, sync = false, made: ToyAlgorithm[] = []): SimConfig {
  return {
    n: 8,
    algorithm: 'dpsgd',
    settings: { lr: 0.05 },
    topology: { kind: 'exponential' },
    problem: { kind: 'least-squares', dim: 4, samplesPerPeer: 12, heterogeneity: 0.5 },
    network: { latency: 0.01, jitter: 0.02, loss: 0.2, duplicate: 0.1 },
    compute: { stepTime: 0.05, jitter: 0.3, pauseProbability: 0.05, pauseDuration: 0.5 },
    stop: { time: 20 },
    record: { interval: 1 },
    seed: 42,
    createAlgorithm: toyFactory(sync, made),
    ...over,
  };
}

describe('simulator engine', () => {
  it('is deterministic: same seed gives identical results, another seed differs', () => {
    const a = runSimulation(config());
    const b = runSimulation(config({ createAlgorithm: toyFactory(false) }));
    expect(b).toEqual(a);
    const c = runSimulation(config({ seed: 43, createAlgorithm: toyFactory(false) }));
    expect(c.final.relErrorMean).not.toBe(a.final.relErrorMean);
    expect(c.totals.messagesDropped).not.toBe(a.totals.messagesDropped);
  });

  it('copies messages at send time and accounts for every byte', () => {
    const made: ToyAlgorithm[] = [];
    // Jitter well above the step time, so consecutive messages of a sender overtake each other.
    const r = runSimulation(config({ network: { latency: 0.01, jitter: 0.2, loss: 0.2, duplicate: 0.1 } }, false, made));
    expect(made.reduce((s, a) => s + a.corrupted, 0)).toBe(0);
    const t = r.totals;
    expect(t.messagesSent).toBeGreaterThan(1000);
    expect(t.bytesSent).toBe(t.messagesSent * (48 + 4 * 4));
    // Loss 20%, duplication 10% of the survivors.
    expect(t.messagesDropped / t.messagesSent).toBeGreaterThan(0.15);
    expect(t.messagesDropped / t.messagesSent).toBeLessThan(0.25);
    expect(t.messagesDelivered).toBeGreaterThan(t.messagesSent - t.messagesDropped);
    expect(made.reduce((s, a) => s + a.outOfOrder, 0)).toBeGreaterThan(0); // jitter reorders
  });

  it('skips unreliable messages at a full send buffer and counts them, not their bytes', () => {
    // 56-byte messages every ~50-80 ms (pauses included) into 3 out-links of 250 B/s: links fall behind.
    const net = { latency: 0.01, jitter: 0.02, loss: 0, duplicate: 0, bandwidth: 250, sendBuffer: 200 };
    const r = runSimulation(config({ network: net }));
    const t = r.totals;
    expect(t.messagesSkipped / t.messagesSent).toBeGreaterThan(0.5);
    expect(t.messagesDropped).toBe(0);
    expect(t.bytesSent).toBe((t.messagesSent - t.messagesSkipped) * (48 + 4 * 4));
    // Everything transmitted arrives, except what is still queued or in flight at the end (a few per link).
    expect(t.messagesDelivered).toBeLessThanOrEqual(t.messagesSent - t.messagesSkipped);
    expect(t.messagesDelivered).toBeGreaterThan(t.messagesSent - t.messagesSkipped - 8 * 3 * 8);
    // Each link carries at most its bandwidth for 20 s plus one buffer and one message.
    expect(t.bytesSent).toBeLessThanOrEqual(8 * 3 * (250 * 20 + 200 + 56));
    // The synchronous toy sends reliably: nothing is skipped, links just queue.
    const sync = runSimulation(config({ network: net, stop: { time: 5 } }, true));
    expect(sync.totals.messagesSkipped).toBe(0);
  });

  it('keeps reliable links FIFO and blocks synchronous peers until their round is complete', () => {
    const made: ToyAlgorithm[] = [];
    const r = runSimulation(config({ compute: { stepTime: 0.05, jitter: 0.5 } }, true, made));
    expect(made.reduce((s, a) => s + a.outOfOrder, 0)).toBe(0);
    expect(r.totals.messagesDropped).toBe(0);
    expect(r.totals.retransmits).toBeGreaterThan(0);
    const steps = r.peers.map((p) => p.steps);
    // A peer waits for its in-neighbours only, so it runs at most (distance to any peer) rounds ahead:
    // the exponential graph on 8 peers has diameter 3.
    expect(Math.max(...steps) - Math.min(...steps)).toBeLessThanOrEqual(3);
    expect(r.totals.blockedTime).toBeGreaterThan(0);
  });

  it('makes a synchronous run follow its straggler', () => {
    const stepTime = 0.05;
    const r = runSimulation(
      config({ network: { latency: 0.001, jitter: 0 }, compute: { stepTime, jitter: 0, slow: [{ peer: 3, factor: 5 }] } }, true),
    );
    const perStep = r.endTime / r.peers[0].steps;
    expect(perStep).toBeGreaterThan(4.5 * stepTime);
    expect(r.peers[0].blockedTime).toBeGreaterThan(0.7 * r.endTime);
    expect(r.peers[3].blockedTime).toBeLessThan(0.1 * r.endTime);
  });

  it('stops at a step budget', () => {
    const r = runSimulation(config({ stop: { stepsPerPeer: 30 } }));
    expect(r.endReason).toBe('steps');
    for (const p of r.peers) expect(p.steps).toBe(30);
  });

  it('ends as idle when no peer can ever become ready', () => {
    const never = (...args: Parameters<ReturnType<typeof toyFactory>>) => {
      const a = toyFactory(false)(...args);
      a.ready = () => false;
      return a;
    };
    const r = runSimulation(config({ createAlgorithm: never }));
    expect(r.endReason).toBe('idle');
    expect(r.totals.steps).toBe(0);
  });

  it('bounds memory by decimating records onto a doubled interval', () => {
    const r = runSimulation(config({ stop: { time: 100 }, record: { interval: 1, maxRecords: 8 } }));
    expect(r.records.length).toBeLessThanOrEqual(8);
    const gaps = r.records.slice(1).map((x, i) => x.time - r.records[i].time);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0], 9);
    expect(gaps[0]).toBeGreaterThanOrEqual(8);
    expect(r.records[0].peers?.relError.length).toBe(8);
  });

  it('records per-peer series that add up to the overall record', () => {
    const r = runSimulation(config({ compute: { stepTime: 0.05, jitter: 0.3 } }, true));
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + (Number.isNaN(y) ? 0 : y), 0);
    for (const rec of r.records.slice(1)) {
      const p = rec.peers;
      if (!p) throw new Error('per-peer series missing');
      expect(sum(p.steps)).toBe(rec.steps);
      expect(sum(p.messagesSent)).toBe(rec.messagesSent);
      expect(sum(p.messagesDelivered)).toBe(rec.messagesDelivered);
      expect(sum(p.blockedTime)).toBeCloseTo(rec.blockedTime, 9);
      expect(sum(p.relError) / rec.live).toBeCloseTo(rec.relErrorMean, 12);
      expect(sum(p.consensus) / rec.live).toBeCloseTo(rec.consensus, 12);
    }
    // Blocked time grows over the run for a synchronous algorithm, and per peer never exceeds the clock.
    const last = r.records[r.records.length - 1];
    expect(last.blockedTime).toBeGreaterThan(r.records[1].blockedTime);
    for (const b of last.peers?.blockedTime ?? []) expect(b).toBeLessThanOrEqual(last.time);
  });

  it('handles leaves and joins: new epoch, joiner copies a model, departed traffic is discarded', () => {
    const made: ToyAlgorithm[] = [];
    const r = runSimulation(
      config({ membership: [{ time: 5, leave: [2] }, { time: 10, join: [8, 2] }], network: { latency: 0.05, jitter: 0.05 } }, false, made),
    );
    expect(r.epoch).toBe(2);
    expect(r.peers.length).toBe(9);
    expect(r.peers[2].alive).toBe(true);
    expect(r.peers[2].joinedAt).toBe(10);
    expect(r.peers[8].joinedAt).toBe(10);
    expect(r.totals.messagesDiscarded).toBeGreaterThan(0);
    expect(r.final.live).toBe(9);
    // 8 initial algorithm objects, then two joiners.
    expect(made.length).toBe(10);
    // The joiners started from a peer's model, not from x0 = 0.
    expect(r.records.find((x) => x.time === 10)?.peers?.relError[8]).toBeLessThan(0.99);
  });

  it('discards envelopes addressed to peers that do not exist instead of failing', () => {
    const wild = (...args: Parameters<ReturnType<typeof toyFactory>>) => {
      const a = toyFactory(false)(...args);
      const apply = a.applyGradient.bind(a);
      a.applyGradient = (g) => {
        const out = apply(g);
        return [...out, ...[999, -1, Number.NaN, 1.5].map((to) => ({ to, reliable: false, msg: out[0].msg }))];
      };
      return a;
    };
    const r = runSimulation(config({ network: {}, createAlgorithm: wild, stop: { time: 2 } }));
    expect(r.totals.messagesDiscarded).toBeGreaterThanOrEqual(4 * r.totals.steps);
    expect(r.totals.steps).toBeGreaterThan(100);
  });

  it('refuses a schedule that cannot happen', () => {
    expect(() => runSimulation(config({ membership: [{ time: 1, leave: [9] }] }))).toThrow(SimConfigError);
    expect(() => runSimulation(config({ membership: [{ time: 1, join: [3] }] }))).toThrow(/already alive/);
    expect(() => runSimulation(config({ stop: {} }))).toThrow(/stop needs/);
  });
});
