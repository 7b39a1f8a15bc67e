import { describe, expect, it } from 'vitest';
import { Rng, type PeerId } from '@starling/core';
import type { Clock } from './clock';
import { LossyTransport } from './lossy';
import { ShapedUplink } from './shaped';
import { TokenBucket } from './token-bucket';
import type { Transport, TransportEvents } from './transport';
import { Uplink } from './uplink';

/** A clock whose timers run when `advance` passes them. */
function fakeClock() {
  let now = 0;
  const timers: [number, () => void][] = [];
  const clock: Clock = { now: () => now, at: (t, fn) => timers.push([t, fn]) };
  const advance = (to: number) => {
    for (;;) {
      timers.sort((a, b) => a[0] - b[0]);
      if (timers.length === 0 || timers[0][0] > to) break;
      const [t, fn] = timers.shift()!;
      now = Math.max(now, t);
      fn();
    }
    now = to;
  };
  return { clock, advance, get now() {
    return now;
  } };
}

describe('TokenBucket', () => {
  it('lets a burst through, then holds to the rate; a frame larger than the burst still passes', () => {
    const b = new TokenBucket(1000, 100, 0);
    expect(b.ready(0)).toBe(true);
    b.take(300, 0); // in debt by 200 bytes
    expect(b.ready(0)).toBe(false);
    expect(b.readyAt(0)).toBeCloseTo(200);
    expect(b.ready(199)).toBe(false);
    expect(b.ready(200)).toBe(true);
    b.setRate(null, 200);
    expect(b.ready(200)).toBe(true);
    expect(() => new TokenBucket(0, 10, 0)).toThrow(RangeError);
  });
});

describe('Uplink', () => {
  it('shares the rate among links in turn, adds the latency, and says when a queue drains', () => {
    const c = fakeClock();
    const got: [PeerId, number, number][] = [];
    const drained: [PeerId, number][] = [];
    const u = new Uplink<number>({
      shape: { uplinkBytesPerSec: 1000, latencyMs: 20 },
      burstBytes: 0,
      clock: c.clock,
      size: (f) => f,
      deliver: (to, f) => got.push([to, f, c.now]),
      drained: (to) => drained.push([to, c.now]),
    });
    for (let i = 0; i < 3; i++) u.enqueue(1, 100);
    u.enqueue(2, 100);
    expect(u.queued(1)).toBe(200); // the first went at once (the bucket was not in debt)
    c.advance(1000);
    // 100 bytes at 1000 B/s = 100 ms each, the waiting links served in turn, each frame 20 ms later
    expect(got).toEqual([[1, 100, 20], [1, 100, 120], [2, 100, 220], [1, 100, 320]]);
    expect(drained).toEqual([[1, 0], [2, 200], [1, 300]]); // the first frame left at once
  });

  it('a link that left is forgotten: its queued frames are dropped', () => {
    const c = fakeClock();
    const got: PeerId[] = [];
    const u = new Uplink<number>({ shape: { uplinkBytesPerSec: 1000, latencyMs: 0 }, burstBytes: 0, clock: c.clock, size: (f) => f, deliver: (to) => got.push(to), drained: () => undefined });
    u.enqueue(1, 100);
    u.enqueue(1, 100);
    u.enqueue(2, 100);
    u.drop(1);
    c.advance(1000);
    expect(got).toEqual([1, 2]);
  });
});

/** A transport that records what it is asked to send. */
function recorder(remote: PeerId) {
  const sent: { data: Uint8Array | string; reliable: boolean }[] = [];
  let events: TransportEvents | null = null;
  const t: Transport = {
    remote,
    isOpen: true,
    buffered: 0,
    lowWater: 0,
    sendUnreliable: (b) => (sent.push({ data: b, reliable: false }), true),
    sendReliable: (d) => void sent.push({ data: d, reliable: true }),
    close: (reason) => events?.close(reason ?? 'closed'),
    listen: (e) => (events = e),
  };
  return { t, sent, emit: () => events as TransportEvents };
}

describe('ShapedUplink and LossyTransport', () => {
  it('every send of every link goes through the shared uplink, in order per link, copied', () => {
    const c = fakeClock();
    const up = new ShapedUplink({ uplinkBytesPerSec: 1000, latencyMs: 10 }, 0, c.clock);
    const a = recorder(1);
    const b = recorder(2);
    const sa = up.wrap(a.t);
    const sb = up.wrap(b.t);
    const drains: number[] = [];
    sa.listen({ open: () => {}, close: () => {}, frame: () => {}, control: () => {}, drain: () => drains.push(c.now) });
    const frame = new Uint8Array(100);
    sa.sendUnreliable(frame);
    sa.sendReliable(frame);
    frame[0] = 7; // the reliable copy must not see this
    sb.sendReliable('{"t":"hb"}');
    expect(sa.buffered).toBe(100);
    c.advance(5);
    expect(a.sent).toHaveLength(0); // latency
    c.advance(1000);
    expect(a.sent.map((s) => s.reliable)).toEqual([false, true]);
    expect((a.sent[1].data as Uint8Array)[0]).toBe(0);
    expect(b.sent).toHaveLength(1);
    expect(drains.length).toBeGreaterThan(0);
    expect(sa.buffered).toBe(0);
  });

  it('drops about the injected share of unreliable frames, never reliable ones', () => {
    const r = recorder(1);
    let rate = 0.3;
    const lossy = new LossyTransport(r.t, new Rng(42), () => rate);
    for (let i = 0; i < 2000; i++) expect(lossy.sendUnreliable(new Uint8Array(1))).toBe(true);
    lossy.sendReliable('x');
    expect(lossy.drops / 2000).toBeGreaterThan(0.26);
    expect(lossy.drops / 2000).toBeLessThan(0.34);
    expect(r.sent.at(-1)).toMatchObject({ reliable: true });
    rate = 0;
    const before = lossy.drops;
    lossy.sendUnreliable(new Uint8Array(1));
    expect(lossy.drops).toBe(before);
  });
});
