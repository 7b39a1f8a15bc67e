/**
 * The newest-wins send scheduler, driving a real R-FAST peer's slots: newest content wins, every
 * block gets its turn, the step loop never waits for it, and a shaped uplink's rate holds.
 */
import { describe, expect, it } from 'vitest';
import { MsgKind, RFast, Rng, buildTopology, neighboursOf, type Envelope } from '@starling/core';
import { SendScheduler } from './scheduler';
import { Uplink } from './uplink';
import type { Clock } from './clock';

const DIM = 20;
const BLOCK = 4; // 5 blocks

function peer(encoding: 'f32' | 'i8' = 'f32', members = [0, 1, 2]): RFast {
  const t = buildTopology('exponential', members);
  return new RFast({ id: 0, x0: new Float32Array(DIM), lr: 0.1, blockSize: BLOCK, epoch: 0, neighbours: neighboursOf(t, 0), encoding, kernels: 'js' });
}

function step(p: RFast, g: number): void {
  p.beginStep();
  p.applyGradient(new Float32Array(DIM).fill(g));
}

/** A sink whose links take `room` frames each before they are full; records copies of what it sends. */
function sink(room: number) {
  const left = new Map<number, number>();
  const sent: Envelope[] = [];
  return {
    sent,
    refill: (n: number) => left.clear() ?? (room = n),
    ready: (to: number) => (left.get(to) ?? room) > 0,
    send: (e: Envelope) => {
      left.set(e.to, (left.get(e.to) ?? room) - 1);
      sent.push({ ...e, msg: { ...e.msg, data: e.msg.data.slice() } });
    },
  };
}

describe('SendScheduler', () => {
  it('newest wins: a slot updated twice before its link is free goes out once, with the newest content', () => {
    const p = peer();
    const s = sink(0);
    const sched = new SendScheduler(s);
    step(p, 1);
    step(p, 2);
    step(p, 3); // three steps while the links are full: nothing queued anywhere
    expect(sched.pump(p.slots)).toBe(0);
    s.refill(100);
    sched.pump(p.slots);
    const v = s.sent.filter((e) => e.msg.kind === MsgKind.RfastV && e.to === 1);
    expect(v.map((e) => e.msg.block)).toEqual([0, 1, 2, 3, 4]); // each block once
    for (const e of v) expect(Array.from(e.msg.data)).toEqual(Array.from(p.inspect().v.subarray(e.msg.offset, e.msg.offset + BLOCK)));
    expect(sched.pump(p.slots)).toBe(0); // nothing newer since
  });

  it('is fair: with room for one frame per link per pump, every block of every kind goes out in rotation', () => {
    const p = peer();
    const s = sink(1);
    const sched = new SendScheduler(s);
    const rounds: string[][] = [];
    for (let i = 0; i < 10; i++) {
      step(p, i + 1);
      s.refill(1);
      sched.pump(p.slots);
      rounds.push(s.sent.splice(0).filter((e) => e.to === 1).map((e) => `${e.msg.kind}:${e.msg.block}`));
    }
    // one frame per pump to link 1, cycling through (v, rho) x 5 blocks without starving any
    expect(rounds.flat()).toEqual(['1:0', '2:0', '1:1', '2:1', '1:2', '2:2', '1:3', '2:3', '1:4', '2:4']);
  });

  it('serves the links in turn: a link that is always ready does not starve the others', () => {
    const p = peer('f32', [0, 1, 2, 3, 4]); // out-links 1, 2 and 4 on the exponential graph
    let budget = 6;
    const sent: number[] = [];
    const sched = new SendScheduler({ ready: () => budget > 0, send: (e) => (budget--, sent.push(e.to)) });
    step(p, 1);
    sched.pump(p.slots);
    const counts = new Map<number, number>();
    for (const to of sent) counts.set(to, (counts.get(to) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2]);
  });

  it('never blocks the step loop: with every link full, steps go on and nothing piles up', () => {
    const p = peer('i8');
    const s = sink(0);
    const sched = new SendScheduler(s);
    for (let i = 0; i < 1000; i++) {
      step(p, i % 7);
      expect(sched.pump(p.slots)).toBe(0);
    }
    expect(p.stats().steps).toBe(1000);
    // and when a link frees up, what goes is one frame per slot, the newest
    s.refill(1000);
    expect(sched.pump(p.slots)).toBe(2 * 5 * 2); // 2 links x 5 blocks x (v, running sum)
  });

  it("respects a shaped uplink's rate: bytes out over time stay within rate x time + burst", () => {
    let now = 0;
    const timers: [number, () => void][] = [];
    const clock: Clock = { now: () => now, at: (t, fn) => timers.push([t, fn]) };
    const delivered: { at: number; bytes: number }[] = [];
    const p = peer('i8');
    let pump = (): void => undefined;
    const uplink = new Uplink<Envelope & { bytes: number }>({
      shape: { uplinkBytesPerSec: 10_000, latencyMs: 0 },
      burstBytes: 500,
      clock,
      size: (f) => f.bytes,
      deliver: (_to, f) => delivered.push({ at: now, bytes: f.bytes }),
      drained: () => pump(),
    });
    const sched = new SendScheduler({
      ready: (to) => uplink.queued(to) === 0,
      send: (e) => uplink.enqueue(e.to, { ...e, bytes: 48 + e.msg.data.byteLength }),
    });
    pump = () => sched.pump(p.slots);
    const rng = new Rng(3);
    // 2 s of steps every 5 ms, with the uplink's timers in between
    for (let t = 0; t <= 2000; t += 5) {
      while (timers.length > 0) {
        timers.sort((a, b) => a[0] - b[0]);
        if (timers[0][0] > t) break;
        const [at, fn] = timers.shift()!;
        now = at;
        fn();
      }
      now = t;
      step(p, rng.normal());
      pump();
    }
    expect(delivered.length).toBeGreaterThan(50);
    for (const { at } of delivered) {
      const bytes = delivered.filter((d) => d.at <= at).reduce((a, d) => a + d.bytes, 0);
      expect(bytes).toBeLessThanOrEqual(500 + (10_000 * at) / 1000 + 48 + BLOCK * 2); // + one frame of debt
    }
    const total = delivered.reduce((a, d) => a + d.bytes, 0);
    expect(total / 2).toBeGreaterThan(0.9 * 10_000); // and it kept the uplink busy
  });
});
