/** Receiver pacing (rfast-pace.ts): a slower target gets its own step rate's worth of frames, and no more. */
import { describe, expect, it } from 'vitest';
import { MsgKind, type Message, type PeerId } from './contract';
import { RFast } from './rfast';
import { RFAST_DEFAULTS } from './rfast-config';
import { PaceTracker } from './rfast-pace';
import { LR, NB, SELF, SPEC_SHARE, X0, sendAll } from './rfast.fixture';

/** Takes pending slots as the runtime's scheduler does: a cursor per target that persists across calls. */
function sender(p: RFast): () => { to: PeerId; kind: number; block: number }[] {
  const cursor = new Map<PeerId, number>();
  return () => {
    const src = p.slots;
    const out: { to: PeerId; kind: number; block: number }[] = [];
    for (let t = 0; t < src.targets().length; t++) {
      const to = src.targets()[t];
      for (;;) {
        const s = src.nextPending(t, cursor.get(to) ?? 0);
        if (s < 0) break;
        const { msg } = src.take(t, s);
        out.push({ to, kind: msg.kind, block: msg.block });
        cursor.set(to, (s + 1) % src.slotCount(t));
      }
    }
    return out;
  };
}

/** Pacing is opt-in (RFAST_DEFAULTS.paceMargin 0): the fixture's peer with margin 4. */
const MARGIN = 4;
function peer(paceMargin = MARGIN): RFast {
  return new RFast({ id: SELF, x0: X0, lr: LR, blockSize: 2, epoch: 0, neighbours: NB, kernels: 'js', encoding: 'f32', robust: 'off', pushShare: SPEC_SHARE, paceMargin });
}

function pace(from: PeerId, step: number, extra: Partial<Message> = {}): Message {
  return { kind: MsgKind.RfastPace, from, epoch: 0, seq: step, block: 0, offset: 0, aux: 0, data: new Float32Array(0), ...extra };
}

/** Steps the peer `steps` times; target 3 says it stepped once every `every` of them. Returns frames to 3 and to 1 per step. */
function run(p: RFast, steps: number, every: number | null): { to3: number[]; to1: number[] } {
  const to3: number[] = [];
  const to1: number[] = [];
  let theirs = 0;
  for (let s = 1; s <= steps; s++) {
    p.beginStep();
    p.applyGradient(Float32Array.from({ length: X0.length }, (_, i) => Math.sin(s + i)));
    if (every !== null && s % every === 0) p.receive(pace(3, ++theirs));
    const sent = sendAll(p);
    to3.push(sent.filter((e) => e.to === 3).length);
    to1.push(sent.filter((e) => e.to === 1).length);
  }
  return { to3, to1 };
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

describe('PaceTracker', () => {
  it('learns a target\'s steps per step of ours and gives it margin times that share', () => {
    const p = new PaceTracker([3, 1], 2);
    expect(p.share[0]).toBe(1); // never heard from: unpaced
    let theirs = 10;
    for (let s = 1; s <= 60; s++) {
      if (s % 4 === 0) expect(p.heard(3, ++theirs)).toBe(true);
      p.stepTaken();
    }
    expect(p.rateOf(0)).toBeCloseTo(0.25, 2);
    expect(p.share[0]).toBeCloseTo(0.5, 2);
    expect(p.share[1]).toBe(1);
    expect(p.rateOf(1)).toBeNull();
  });

  it('counts step differences, so lost or merged beacons do not bias the rate', () => {
    const p = new PaceTracker([3], 1);
    p.heard(3, 100);
    for (let s = 1; s <= 60; s++) {
      if (s % 6 === 0) p.heard(3, 100 + s / 2); // one beacon in three arrives, each says 3 steps
      p.stepTaken();
    }
    expect(p.rateOf(0)).toBeCloseTo(0.5, 6);
  });

  it('ignores old beacons, bounds a jump, and keeps a floor for a far slower target', () => {
    const p = new PaceTracker([3], 2);
    expect(p.heard(3, 50)).toBe(true);
    expect(p.heard(3, 49)).toBe(false);
    expect(p.heard(7, 60)).toBe(false); // not a target
    expect(p.heard(3, 2 ** 32 - 1)).toBe(true);
    p.stepTaken();
    expect(p.rateOf(0)).toBe(RFAST_DEFAULTS.paceMaxStepsPerBeacon);
    expect(p.heard(3, 51)).toBe(true); // an honest counter after the jump resyncs
    let theirs = 51;
    for (let s = 1; s <= 4000; s++) {
      if (s % 50 === 0) p.heard(3, ++theirs); // 1 / 50: margin 2 of it is below the floor
      p.stepTaken();
    }
    expect(p.share[0]).toBe(RFAST_DEFAULTS.paceMinShare);
  });

  it('keeps the rate of a target whose beacons come in bursts', () => {
    const p = new PaceTracker([3], 4);
    let theirs = 0;
    for (let s = 1; s <= 400; s++) {
      if (s % 20 === 0) for (let k = 0; k < 20; k++) p.heard(3, ++theirs); // 20 steps' beacons at once
      p.stepTaken();
      if (s > 20) expect(p.share[0]).toBe(1);
    }
  });

  it('does nothing with margin 0', () => {
    const p = new PaceTracker([3], 0);
    expect(p.active).toBe(false);
    expect(p.heard(3, 5)).toBe(false);
    p.stepTaken();
    expect(p.share[0]).toBe(1);
  });
});

describe('R-FAST receiver pacing', () => {
  it('sends a target that steps once per eight of our steps about margin / 8 of its slots per step, and the others all', () => {
    const share = MARGIN / 8;
    expect(share).toBeLessThan(1);
    const paced = run(peer(), 120, 8);
    // Target 3 has 6 slots (v and running sums of 3 blocks), target 1 has 3 (running sums only).
    const settled = paced.to3.slice(40);
    expect(mean(settled)).toBeGreaterThan(share * 6 * 0.7);
    expect(mean(settled)).toBeLessThan(share * 6 * 1.3);
    expect(paced.to1.slice(20).every((n) => n === 3)).toBe(true);
    // Unpaced (no beacons, or pacing off) every slot goes every step.
    expect(run(peer(), 40, null).to3.every((n) => n === 6)).toBe(true);
    expect(run(peer(0), 40, 8).to3.every((n) => n === 6)).toBe(true);
    expect(RFAST_DEFAULTS.paceMargin).toBe(0); // opt-in: the default peer neither paces nor tells
  });

  it('every block still reaches a paced target between two of its steps, and pacing only delays mass', () => {
    const p = peer();
    const send = sender(p);
    const lastSent = new Map<number, number>();
    let late = 0;
    let theirs = 0;
    let g = new Float32Array(X0.length);
    for (let s = 1; s <= 120; s++) {
      p.beginStep();
      g = Float32Array.from({ length: X0.length }, (_, i) => Math.cos(s * (i + 1)));
      p.applyGradient(g);
      for (const e of send()) {
        if (e.to === 3 && e.kind === MsgKind.RfastV) lastSent.set(e.block, s);
        if (e.to === 3 && s > 60) late++;
      }
      if (s % 10 === 0) {
        p.receive(pace(3, ++theirs));
        // Its step: by now every block of v went out within its last period (after the rate settled).
        if (s > 40) for (let b = 0; b < 3; b++) expect(s - (lastSent.get(b) ?? -Infinity)).toBeLessThanOrEqual(10);
      }
    }
    expect(late).toBeLessThan(0.6 * 6 * 60); // paced: share margin / 10 of 6 slots per step
    // Nothing received: what was pushed plus what stays in z is exactly the latest gradient.
    const st = p.inspect();
    for (let i = 0; i < X0.length; i++) expect(st.z[i] + st.rho.get(1)![i] + st.rho.get(3)![i]).toBeCloseTo(g[i], 12);
  });

  it('refuses malformed pace frames and counts them', () => {
    const p = peer();
    const before = p.stats().rejected;
    p.receive(pace(3, 1, { data: new Float32Array(1) }));
    p.receive(pace(3, 1, { block: 1, offset: 2 }));
    p.receive(pace(2, 1)); // 2 sends to us but we send nothing to it
    expect(p.stats().rejected).toBe(before + 3);
    p.receive(pace(3, 1));
    p.receive(pace(3, 1)); // nothing new
    expect(p.stats().rejected).toBe(before + 3);
    expect(p.stats().stale).toBeGreaterThanOrEqual(1);
  });

  it('tells every in-neighbour whose link is open its step count, on its first step and every paceEverySteps', () => {
    const p = peer();
    p.linksOpen(new Set([1, 4]));
    const told: number[] = [];
    for (let s = 1; s <= 3 * RFAST_DEFAULTS.paceEverySteps + 1; s++) {
      p.beginStep();
      const out = p.applyGradient(new Float32Array(X0.length));
      if (out.length === 0) continue;
      expect(out.map((e) => e.to).sort()).toEqual([1, 4]); // in-neighbours 1, 2, 4; 2 not open
      expect(out.every((e) => e.msg.kind === MsgKind.RfastPace && e.msg.seq === s && e.reliable)).toBe(true);
      told.push(s);
    }
    const every = RFAST_DEFAULTS.paceEverySteps;
    expect(told).toEqual([1, 1 + every, 1 + 2 * every, 1 + 3 * every]);
  });
});
