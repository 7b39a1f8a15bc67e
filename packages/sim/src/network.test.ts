import { Rng } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { SIM_DEFAULTS } from './config';
import { SimConfigError } from './errors';
import { Network } from './network';

const times = [0, 0];

describe('Network', () => {
  it('serialises messages on a link: each waits for the previous one to leave', () => {
    const net = new Network({ latency: 0, jitter: 0, bandwidth: 1e6 }, new Rng(1));
    const got: number[] = [];
    for (let i = 0; i < 10; i++) {
      net.send(0, 1, 1000, false, 0, times);
      got.push(times[0]);
    }
    got.forEach((t, i) => expect(t).toBeCloseTo((i + 1) * 1e-3, 12));
    // Another link has its own transmitter.
    net.send(1, 0, 1000, false, 0, times);
    expect(times[0]).toBeCloseTo(1e-3, 12);
  });

  it('keeps one queue per link also for a sender with many links', () => {
    const net = new Network({ latency: 0, jitter: 0, bandwidth: 1e6 }, new Rng(1));
    // Two rounds over 40 receivers: the second message on each link waits for the first one.
    for (let round = 1; round <= 2; round++) {
      for (let to = 1; to <= 40; to++) {
        net.send(0, to, 1000, false, 0, times);
        expect(times[0]).toBeCloseTo(round * 1e-3, 12);
      }
    }
  });

  it('drops and duplicates unreliable messages at the configured rates, and jitter reorders them', () => {
    const net = new Network({ latency: 0.01, jitter: 0.01, bandwidth: Infinity, loss: 0.2, duplicate: 0.1 }, new Rng(2));
    const n = 20000;
    let delivered = 0;
    let dups = 0;
    let reordered = 0;
    let last = 0;
    for (let i = 0; i < n; i++) {
      const out = net.send(0, 1, 100, false, i * 1e-3, times);
      delivered += out.deliveries > 0 ? 1 : 0;
      dups += out.deliveries === 2 ? 1 : 0;
      if (out.deliveries > 0) {
        if (times[0] < last) reordered++;
        last = Math.max(last, times[0]);
      }
    }
    expect(1 - delivered / n).toBeGreaterThan(0.18);
    expect(1 - delivered / n).toBeLessThan(0.22);
    expect(dups / delivered).toBeGreaterThan(0.08);
    expect(dups / delivered).toBeLessThan(0.12);
    expect(reordered).toBeGreaterThan(100);
  });

  it('delivers reliable messages exactly once, in order, paying loss as retransmission delay', () => {
    const latency = 0.01;
    const jitter = 0.005;
    const loss = 0.5;
    const net = new Network({ latency, jitter, bandwidth: Infinity, loss }, new Rng(3));
    const n = 5000;
    let last = 0;
    let retransmits = 0;
    let delay = 0;
    for (let i = 0; i < n; i++) {
      const sentAt = i * 1e-3;
      const out = net.send(0, 1, 100, true, sentAt, times);
      expect(out.deliveries).toBe(1);
      expect(times[0]).toBeGreaterThanOrEqual(last);
      last = times[0];
      retransmits += out.retransmits;
      delay += times[0] - sentAt;
    }
    // Geometric number of lost attempts: mean loss / (1 - loss) = 1 per message.
    expect(retransmits / n).toBeGreaterThan(0.9);
    expect(retransmits / n).toBeLessThan(1.1);
    const rto = SIM_DEFAULTS.rtoLatencyFactor * latency + jitter;
    expect(delay / n).toBeGreaterThan(latency + 0.9 * rto);
  });

  it('applies per-link overrides and validates them', () => {
    const net = new Network({ latency: 0, jitter: 0, link: (f) => (f === 1 ? { latency: 1 } : undefined) }, new Rng(4));
    net.send(0, 2, 10, false, 0, times);
    expect(times[0]).toBeLessThan(1e-3);
    net.send(1, 2, 10, false, 0, times);
    expect(times[0]).toBeGreaterThanOrEqual(1);
    const bad = new Network({ link: () => ({ loss: 1 }) }, new Rng(5));
    expect(() => bad.send(0, 1, 10, true, 0, times)).toThrow(SimConfigError);
  });

  it('refuses a link model that cannot work', () => {
    expect(() => new Network({ loss: 1 }, new Rng(1))).toThrow(/loss must be in \[0, 1\)/);
    expect(() => new Network({ bandwidth: 0 }, new Rng(1))).toThrow(SimConfigError);
    expect(() => new Network({ latency: -1 }, new Rng(1))).toThrow(SimConfigError);
  });
});

describe('Network send buffer', () => {
  it('skips unreliable messages while the backlog exceeds sendBuffer, never reliable ones', () => {
    // 1000-byte messages at 1 MB/s: each adds 1 ms of backlog; the buffer holds 2500 bytes.
    const net = new Network({ latency: 0, jitter: 0, bandwidth: 1e6, sendBuffer: 2500 }, new Rng(3));
    const outcomes: boolean[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(net.send(0, 1, 1000, false, 0, times).skipped);
    // Backlogs seen: 0, 1000, 2000, 3000 (skip), 3000 (skip), ...
    expect(outcomes).toEqual([false, false, false, true, true, true]);
    const rel = net.send(0, 1, 1000, true, 0, times);
    expect(rel.skipped).toBe(false);
    expect(times[0]).toBeCloseTo(4e-3, 12); // queued behind the three transmitted ones
    // Once the link drains below the bound, unreliable messages go out again.
    const later = net.send(0, 1, 1000, false, 2e-3, times);
    expect(later.skipped).toBe(false);
    expect(later.deliveries).toBe(1);
  });

  it('is unbounded by default and refuses a negative bound', () => {
    const net = new Network({ latency: 0, jitter: 0, bandwidth: 1e3 }, new Rng(4));
    for (let i = 0; i < 100; i++) expect(net.send(0, 1, 1000, false, 0, times).skipped).toBe(false);
    expect(times[0]).toBeCloseTo(100, 9);
    expect(() => new Network({ sendBuffer: -1 }, new Rng(1))).toThrow(SimConfigError);
  });
});
