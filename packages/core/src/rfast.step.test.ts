/** The contract mapping and the arithmetic of one R-FAST step (section 1.3), on a single peer. */
import { describe, expect, it } from 'vitest';
import { MsgKind, type PeerNeighbours } from './contract';
import { ConfigError, TopologyError } from './errors';
import { RFast } from './rfast';
import { RFAST_DEFAULTS } from './rfast-config';
import { DIM, KERNEL_KINDS, LR, NB, SELF, SPEC_SHARE, X0, fullStep, peer, rhoMsg, sendAll, snapshot, vMsg, wholeVector } from './rfast.fixture';

const G0 = [1, 2, 3, 4, 5];
const G1 = [-0.5, 0.25, 2, -3, 1.5];
const C = 1 / 3; // two G_C out-neighbours plus self
const W = 1 / 3; // two G_R in-neighbours plus self

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

describe.each(KERNEL_KINDS)('R-FAST step (%s kernels)', (kernels) => {
  it('takes the first gradient at x0 as the initialisation z = g and, with no tracker mass come in yet, pushes at once', () => {
    const p = peer(false, 0, kernels);
    expect(p.name).toBe('rfast');
    expect(p.ready()).toBe(true);
    expect(p.beginStep()).toEqual([]);
    expect(Array.from(p.params())).toEqual(Array.from(X0));
    expect(p.applyGradient(Float32Array.from(G0))).toEqual([]);
    const s = p.inspect();
    expect(s.initialised).toBe(true);
    expect(Array.from(s.g)).toEqual(G0);
    expect(Array.from(s.x)).toEqual(Array.from(X0));
    // No mass has come in: the push happens at step time (RFAST_DEFAULTS.quietStepsBeforeStepPush).
    expectClose(s.z, G0.map((g) => C * g));
    for (const k of NB.cOut) expectClose(s.rho.get(k)!, G0.map((g) => C * g));
    const src = p.slots;
    const envs: ReturnType<typeof src.take>[] = [];
    for (let t = 0; t < src.targets().length; t++) {
      for (let slot = src.nextPending(t, 0); slot >= 0; slot = src.nextPending(t, slot)) envs.push(src.take(t, slot));
    }
    // sending pushes nothing more
    expectClose(s.z, G0.map((g) => C * g));
    for (const k of NB.cOut) expectClose(s.rho.get(k)!, G0.map((g) => C * g));
    // nothing created or lost: own share plus both pushed shares is the gradient
    expectClose(G0.map((_, t) => s.z[t] + s.rho.get(1)![t] + s.rho.get(3)![t]), G0, 14);

    expect(envs).toHaveLength(3 * (NB.rOut.length + NB.cOut.length));
    const seqs = envs.map((e) => e.msg.seq);
    expect(new Set(seqs).size).toBe(seqs.length); // every frame its own seq
    for (const { to, reliable, msg } of envs) {
      expect(reliable).toBe(false);
      expect(msg).toMatchObject({ from: SELF, epoch: 0, offset: msg.block * 2 });
      if (msg.kind === MsgKind.RfastV) {
        expect(to).toBe(3);
        expect(msg.data).toBeInstanceOf(Float32Array);
        expect(msg.data.buffer).toBe(s.v.buffer); // a view, no copy
        expect(Array.from(msg.data)).toEqual(Array.from(X0.subarray(msg.offset, msg.offset + msg.data.length)));
      } else {
        expect(msg.kind).toBe(MsgKind.RfastRho);
        expect(msg.data).toBeInstanceOf(Float64Array);
        expect(msg.data.buffer).toBe(s.rho.get(to)!.buffer);
      }
    }
    const blocks = envs.filter((e) => e.to === 1).map((e) => e.msg.block);
    expect(blocks).toEqual([0, 1, 2]);
  });

  it('beginStep does steps 3, 1, 2 (consume, descend, mix) and applyGradient steps 4-6', () => {
    const p = peer(false, 0, kernels);
    fullStep(p, G0);
    const a1 = [0.5, 1.5, -1, 2, 0];
    const a2 = [2, 0, 1, -1, 3];
    const r2 = [0.1, 0.2, 0.3, 0.4, 0.5];
    const r4 = [-1, 1, -1, 1, -1];
    for (const m of [...wholeVector(vMsg, 1, a1), ...wholeVector(vMsg, 2, a2), ...wholeVector(rhoMsg, 2, r2), ...wholeVector(rhoMsg, 4, r4)]) {
      expect(p.receive(m)).toEqual([]);
    }
    const z0 = Array.from(p.inspect().z);
    expect(p.beginStep()).toEqual([]);
    // The descent uses the tracker after the arrived mass is consumed.
    const zMid = z0.map((z, t) => z + r2[t] + r4[t]);
    const v = zMid.map((z, t) => Math.fround(X0[t] - LR * z));
    expectClose(p.inspect().v, v, 6);
    expectClose(p.params(), v.map((vt, t) => W * (vt + a1[t] + a2[t])), 6);
    expectClose(p.inspect().z, zMid);
    expectClose(p.inspect().rhoTilde.get(4)!, r4);

    const xNew = Array.from(p.params());
    const rhoBefore = Array.from(p.inspect().rho.get(3)!);
    p.applyGradient(Float32Array.from(G1));
    const envs = sendAll(p);
    const s = p.inspect();
    const zt = zMid.map((z, t) => z + Math.fround(G1[t]) - G0[t]);
    expect(Array.from(s.x)).toEqual(xNew);
    expectClose(s.z, zt.map((z) => C * z));
    expectClose(s.rho.get(3)!, rhoBefore.map((r, t) => r + C * zt[t]));
    expect(envs).toHaveLength(9);
    expect(s.seq).toBe(2);

    // with no new mass arrived, a step consumes nothing, and with no fresh copy it mixes nothing
    const zBefore = Array.from(s.z);
    const x2 = Array.from(p.model());
    p.beginStep();
    expect(Array.from(p.inspect().z)).toEqual(zBefore);
    expect(Array.from(p.params())).toEqual(x2.map((xt, t) => Math.fround(xt - LR * zBefore[t])));
  });

  it('pushes at send time while tracker mass comes in, at step time after quietStepsBeforeStepPush steps without', () => {
    const p = peer(false, 0, kernels);
    fullStep(p, G0);
    for (const m of wholeVector(rhoMsg, 4, [1, 1, 1, 1, 1])) p.receive(m);
    p.beginStep(); // consumes the arrived mass
    p.applyGradient(Float32Array.from(G1));
    const z = Array.from(p.inspect().z);
    const rho = Array.from(p.inspect().rho.get(1)!);
    // mass came in: the push waits for the send, the whole tracker is still here
    expect(Array.from(p.inspect().rho.get(1)!)).toEqual(rho);
    sendAll(p);
    expectClose(p.inspect().z, z.map((zt) => C * zt));
    expectClose(p.inspect().rho.get(1)!, rho.map((r, t) => r + C * z[t]));
    // then nothing comes in: after quietStepsBeforeStepPush steps the push no longer waits
    const quiet = RFAST_DEFAULTS.quietStepsBeforeStepPush;
    for (let s = 1; s <= quiet; s++) {
      p.beginStep();
      const before = Array.from(p.inspect().z);
      const g = s % 2 === 1 ? G0 : G1; // alternating, after G1
      const prev = s % 2 === 1 ? G1 : G0;
      p.applyGradient(Float32Array.from(g));
      const tracked = before.map((zt, t) => zt + Math.fround(g[t]) - Math.fround(prev[t]));
      expectClose(p.inspect().z, s < quiet ? tracked : tracked.map((zt) => C * zt));
      if (s < quiet) sendAll(p);
    }
  });

  it('a push moves pushShare of z, split evenly over the out-neighbours (the default unless a run names one)', () => {
    for (const share of [RFAST_DEFAULTS.pushShare, 0.5]) {
      const p = peer(false, 0, kernels, 'f32', share);
      fullStep(p, G0);
      for (const m of wholeVector(rhoMsg, 4, [1, 1, 1, 1, 1])) p.receive(m); // mass comes in: pushes wait for the send
      p.beginStep();
      p.applyGradient(Float32Array.from(G1));
      const z = Array.from(p.inspect().z);
      const rho1 = Array.from(p.inspect().rho.get(1)!);
      const rho3 = Array.from(p.inspect().rho.get(3)!);
      sendAll(p);
      expectClose(p.inspect().z, z.map((zt) => (1 - share) * zt));
      expectClose(p.inspect().rho.get(1)!, rho1.map((r, t) => r + (share / 2) * z[t]));
      expectClose(p.inspect().rho.get(3)!, rho3.map((r, t) => r + (share / 2) * z[t]));
    }
    expect(RFAST_DEFAULTS.pushShare).toBeLessThan(C * 2); // smaller than the spec's d/(d+1)
    expect(() => peer(false, 0, kernels, 'f32', 0)).toThrow(/pushShare/);
    expect(() => peer(false, 0, kernels, 'f32', 1.5)).toThrow(/pushShare/);
  });

  it('a send budget (sendShare < 1) lets that share of each target\'s slots go per step, carried at most sendCarrySteps; none by default', () => {
    const blocks = Math.ceil(DIM / 2);
    // Out-neighbour 3 takes v and running sums (2 slots per block), 1 only running sums (1 per block).
    const share = 1 / (2 * blocks); // one frame per step to 3
    const p = peer(false, 0, kernels, 'f32', SPEC_SHARE, share);
    const src = p.slots;
    const t3 = src.targets().indexOf(3);
    const t1 = src.targets().indexOf(1);
    const cursor = [0, 0];
    /** Takes what the budget lets go now, with a scheduler's rotating cursor per target. */
    const drain = (t: number): number[] => {
      const out: number[] = [];
      for (let slot = src.nextPending(t, cursor[t]); slot >= 0; slot = src.nextPending(t, cursor[t])) {
        out.push(src.take(t, slot).msg.block);
        cursor[t] = (slot + 1) % src.slotCount(t);
      }
      return out;
    };
    p.beginStep();
    p.applyGradient(Float32Array.from(G0));
    // The epoch's first frame plus one step's worth: exactly the carry cap.
    expect(drain(t3)).toHaveLength(RFAST_DEFAULTS.sendCarrySteps);
    // Many steps without a send: the credit stops at sendCarrySteps steps' worth, no burst.
    for (let s = 0; s < 5; s++) {
      p.beginStep();
      p.applyGradient(Float32Array.from(s % 2 === 0 ? G1 : G0));
    }
    expect(drain(t3)).toHaveLength(RFAST_DEFAULTS.sendCarrySteps);
    // Per target: out-neighbour 1 has its own credit (half a frame per step for its 3 slots, at
    // least one frame held), which 3's sends did not use up.
    expect(drain(t1).length).toBeGreaterThanOrEqual(1);
    // One step, one frame to 3; over 2 x blocks steps every slot (each kind of each block) went.
    const seen = new Set<string>();
    for (let s = 0; s < 2 * blocks; s++) {
      p.beginStep();
      p.applyGradient(Float32Array.from(G1));
      const slot = src.nextPending(t3, cursor[t3]);
      const env = src.take(t3, slot);
      cursor[t3] = (slot + 1) % src.slotCount(t3);
      expect(src.nextPending(t3, cursor[t3])).toBe(-1); // the budget, not an empty queue, stops it
      seen.add(`${env.msg.kind}:${env.msg.block}`);
    }
    expect(seen.size).toBe(2 * blocks);
    // No budget by default: every pending slot goes.
    const free = peer(false, 0, kernels);
    fullStep(free, G0);
    free.beginStep();
    free.applyGradient(Float32Array.from(G1));
    expect(sendAll(free)).toHaveLength(blocks * (NB.rOut.length + NB.cOut.length));
    expect(() => peer(false, 0, kernels, 'f32', SPEC_SHARE, 0)).toThrow(/sendShare/);
    expect(() => peer(false, 0, kernels, 'f32', SPEC_SHARE, 1.5)).toThrow(/sendShare/);
  });

  it('setSendShare changes the budget from the next step on, and a new epoch keeps it', () => {
    const blocks = Math.ceil(DIM / 2);
    const p = peer(false, 0, kernels);
    fullStep(p, G0);
    const all = blocks * (NB.rOut.length + NB.cOut.length);
    const stepAndSend = (g: readonly number[]): number => {
      p.beginStep();
      p.applyGradient(Float32Array.from(g));
      return sendAll(p).length;
    };
    expect(stepAndSend(G1)).toBe(all); // no budget: every pending slot
    // One frame per step to out-neighbour 3 (2 slots per block): after the carried credit is spent,
    // each step lets about that many go, well under every slot.
    p.setSendShare(1 / (2 * blocks));
    stepAndSend(G0);
    const limited = [0, 1, 2, 3].map((s) => stepAndSend(s % 2 === 0 ? G1 : G0));
    for (const n of limited) expect(n).toBeLessThan(all);
    expect(limited.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4 * 3); // 1 to 3, at most 1 to 1 (share 1/(2 blocks) of 3 slots)
    // A new epoch builds a new sender, with the share set last.
    p.setEpoch(1, NB);
    fullStep(p, G1);
    expect(stepAndSend(G0)).toBeLessThan(all);
    // Back to 1: every pending slot again.
    p.setSendShare(1);
    expect(stepAndSend(G1)).toBe(all);
    expect(() => p.setSendShare(0)).toThrow(/sendShare/);
    expect(() => p.setSendShare(Number.NaN)).toThrow(/sendShare/);
  });

  it('a degree budget splits that many models per step among the targets, and is off by default', () => {
    expect(RFAST_DEFAULTS.degreeBudget).toBe(0);
    // The fixture's peer has 2 targets (3: v and running sums, 1: running sums): a budget of 1
    // gives each half its slots per step; a budget of 2 or more changes nothing.
    const perStep = (degreeBudget: number): number[] => {
      const p = new RFast({ id: SELF, x0: X0, lr: LR, blockSize: 2, epoch: 0, neighbours: NB, kernels, encoding: 'f32', robust: 'off', pushShare: SPEC_SHARE, degreeBudget });
      const src = p.slots;
      const cursor = new Map<number, number>();
      const counts: number[] = [];
      for (let s = 0; s < 40; s++) {
        p.beginStep();
        p.applyGradient(Float32Array.from(s % 2 === 0 ? G0 : G1));
        let n = 0;
        for (let t = 0; t < src.targets().length; t++) {
          for (let slot = src.nextPending(t, cursor.get(t) ?? 0); slot >= 0; slot = src.nextPending(t, cursor.get(t) ?? 0)) {
            src.take(t, slot);
            cursor.set(t, (slot + 1) % src.slotCount(t));
            n++;
          }
        }
        counts.push(n);
      }
      return counts.slice(10);
    };
    const blocks = Math.ceil(DIM / 2);
    const all = blocks * (NB.rOut.length + NB.cOut.length); // 9 slots in all
    expect(perStep(0).every((n) => n === all)).toBe(true);
    expect(perStep(2).every((n) => n === all)).toBe(true);
    const half = perStep(1);
    expect(half.reduce((a, b) => a + b, 0) / half.length).toBeCloseTo(all / 2, 0);
    expect(() => new RFast({ id: SELF, x0: X0, lr: LR, blockSize: 2, epoch: 0, neighbours: NB, degreeBudget: -1 })).toThrow(/degreeBudget/);
  });

  it('mixes only the copies that arrived since the last step, each once', () => {
    const p = peer(false, 0, kernels);
    fullStep(p, G0);
    const a1 = [0.5, 1.5, -1, 2, 0];
    for (const m of wholeVector(vMsg, 1, a1)) p.receive(m);
    p.receive(vMsg(2, 1, [7, 8])); // only block 1 from peer 2
    const z = Array.from(p.inspect().z);
    p.beginStep();
    const v = z.map((zt, t) => Math.fround(X0[t] - LR * zt));
    const half = (t: number) => (v[t] + a1[t]) / 2;
    const third = (t: number, b: number) => (v[t] + a1[t] + b) / 3;
    expectClose(p.params(), [half(0), half(1), third(2, 7), third(3, 8), half(4)], 6);
  });

  it('setEpoch resets z to g, clears the running sums and keeps x', () => {
    const p = peer(false, 0, kernels, 'f32', 1 / 2); // the spec's share for the new epoch's one out-neighbour
    fullStep(p, G0);
    const a2 = [2, 0, 1, -1, 3];
    for (const m of [...wholeVector(vMsg, 2, a2), ...wholeVector(rhoMsg, 4, [1, 1, 1, 1, 1])]) p.receive(m);
    fullStep(p, G1);
    for (const m of wholeVector(vMsg, 2, a2, 2)) p.receive(m); // renewed, so fresh in the next epoch's first step
    const x = Array.from(p.model());
    const nb: PeerNeighbours = { rIn: [2, 7], rOut: [7], cIn: [7], cOut: [2], undirected: [2, 7], members: [2, 5, 7] };

    expect(p.setEpoch(1, nb)).toEqual([]);
    const s = p.inspect();
    expect(s.epoch).toBe(1);
    expect(Array.from(s.x)).toEqual(x);
    // z restarts at g and, with no mass of the new epoch come in yet, pushes at once (one G_C out-neighbour: C = 1/2)
    expectClose(s.z, Array.from(s.g, (g) => g / 2), 14);
    expect([...s.rho.keys()]).toEqual([2]);
    expectClose(s.rho.get(2)!, Array.from(s.g, (g) => g / 2), 14);
    expect([...s.rhoNew.keys()]).toEqual([7]);
    for (const m of [s.rhoNew, s.rhoTilde]) for (const buf of m.values()) expect(buf.every((e) => e === 0)).toBe(true);

    // the kept in-neighbour 2 still holds its fresh v; the new one (7) holds our own x, not news
    const z = Array.from(s.z);
    p.beginStep();
    const v = z.map((zt, t) => Math.fround(x[t] - LR * zt));
    expectClose(p.params(), v.map((vt, t) => (vt + a2[t]) / 2), 6);

    // a repeated or older announcement changes nothing
    const before = snapshot(p);
    expect(p.setEpoch(1, NB)).toEqual([]);
    expect(p.setEpoch(0, NB)).toEqual([]);
    expect(snapshot(p)).toEqual(before);

    // old-epoch traffic is dropped as stale, new-epoch traffic from the new neighbours is taken
    p.receive(vMsg(1, 0, [9, 9], 99, 0));
    p.receive(vMsg(7, 0, [9, 9], 1, 1));
    expect(p.stats()).toMatchObject({ rejected: 0, stale: 1 });
  });

  it('refuses neighbour lists that list the peer itself or a peer twice', () => {
    const p = peer(false, 0, kernels);
    expect(() => p.setEpoch(1, { ...NB, cOut: [1, 5] })).toThrow(TopologyError);
    expect(() => p.setEpoch(1, { ...NB, rIn: [1, 1] })).toThrow(/lists peer 1 twice/);
    expect(p.inspect().epoch).toBe(0);
  });

  it('loadModel replaces x, v and the pulled copies', () => {
    const p = peer(false, 0, kernels);
    fullStep(p, G0);
    const y = Float32Array.from([4, 3, 2, 1, 0]);
    p.loadModel(y);
    expect(Array.from(p.model())).toEqual(Array.from(y));
    expect(Array.from(p.inspect().v)).toEqual(Array.from(y));
    const z = Array.from(p.inspect().z);
    p.beginStep();
    // the pulled copies are y now, but none is fresh: the step mixes nothing
    expectClose(p.params(), z.map((zt, t) => Math.fround(y[t] - LR * zt)), 6);
    expect(() => p.loadModel(new Float32Array(DIM + 1))).toThrow(ConfigError);
    expect(() => p.loadModel(Float32Array.from([NaN, 0, 0, 0, 0]))).toThrow(/NaN/);
  });

  it('refuses a bad gradient or a call out of order without touching the state', () => {
    const p = peer(false, 0, kernels);
    expect(() => p.applyGradient(new Float32Array(DIM - 1))).toThrow(ConfigError);
    expect(() => p.applyGradient(Float32Array.from([1, 2, Infinity, 4, 5]))).toThrow(/NaN or Infinity/);
    expect(p.inspect().initialised).toBe(false);
    p.applyGradient(Float32Array.from(G0));
    const before = snapshot(p);
    expect(() => p.applyGradient(Float32Array.from(G1))).toThrow(/without beginStep/);
    expect(snapshot(p)).toEqual(before);
    expect(p.stats().steps).toBe(1);
  });

  it('refuses bad options', () => {
    const ok = { id: SELF, x0: X0, lr: LR, blockSize: 2, epoch: 0, neighbours: NB };
    expect(() => new RFast({ ...ok, lr: 0 })).toThrow(/lr must be a positive number/);
    expect(() => new RFast({ ...ok, lr: NaN })).toThrow(ConfigError);
    expect(() => new RFast({ ...ok, blockSize: 1.5 })).toThrow(/blockSize/);
    expect(() => new RFast({ ...ok, x0: new Float32Array(0) })).toThrow(/x0/);
    expect(() => new RFast({ ...ok, x0: Float32Array.from([NaN]) })).toThrow(/x0/);
    expect(() => new RFast({ ...ok, epoch: -1 })).toThrow(/epoch/);
    expect(() => new RFast({ ...ok, neighbours: { ...NB, rOut: [5] } })).toThrow(TopologyError);
  });

  it('naive variant: sends the pushed increment and adds up what arrives', () => {
    const p = peer(true, 0, kernels);
    expect(p.name).toBe('rfast-naive');
    p.applyGradient(Float32Array.from(G0));
    const envs = sendAll(p);
    const deltas = envs.filter((e) => e.msg.kind === MsgKind.NaiveDelta);
    expect(deltas).toHaveLength(3 * NB.cOut.length);
    for (const { msg } of deltas) {
      expect(msg.data).toBeInstanceOf(Float64Array);
      expectClose(msg.data, G0.slice(msg.offset, msg.offset + msg.data.length).map((g) => C * g));
    }
    const d = (seq: number, values: number[]) => ({ ...rhoMsg(2, 0, values, seq), kind: MsgKind.NaiveDelta });
    p.receive(rhoMsg(2, 0, [5, 5], 1)); // running sums are not what a naive peer expects
    p.receive(d(1, [1, 2]));
    p.receive(d(2, [10, 20]));
    p.receive(d(2, [10, 20])); // duplicate: not added twice
    expect(p.stats()).toMatchObject({ rejected: 1, stale: 1 });
    expect(Array.from(p.inspect().rhoNew.get(2)!.subarray(0, 2))).toEqual([11, 22]);
    const z = Array.from(p.inspect().z);
    p.beginStep();
    expectClose(p.inspect().z.subarray(0, 2), [z[0] + 11, z[1] + 22]);
  });
});
