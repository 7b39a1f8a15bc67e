/** The contract mapping and the arithmetic of one R-FAST step (section 1.3), on a single peer. */
import { describe, expect, it } from 'vitest';
import { MsgKind, type PeerNeighbours } from './contract';
import { ConfigError, TopologyError } from './errors';
import { RFast } from './rfast';
import { DIM, KERNEL_KINDS, LR, NB, SELF, X0, fullStep, peer, rhoMsg, snapshot, vMsg, wholeVector } from './rfast.fixture';

const G0 = [1, 2, 3, 4, 5];
const G1 = [-0.5, 0.25, 2, -3, 1.5];
const C = 1 / 3; // two G_C out-neighbours plus self
const W = 1 / 3; // two G_R in-neighbours plus self

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

describe.each(KERNEL_KINDS)('R-FAST step (%s kernels)', (kernels) => {
  it('takes the first gradient at x0 as the initialisation z = g, then pushes and sends', () => {
    const p = peer(false, 0, kernels);
    expect(p.name).toBe('rfast');
    expect(p.ready()).toBe(true);
    expect(p.beginStep()).toEqual([]);
    expect(Array.from(p.params())).toEqual(Array.from(X0));
    const envs = p.applyGradient(Float32Array.from(G0));
    const s = p.inspect();
    expect(s.initialised).toBe(true);
    expect(Array.from(s.g)).toEqual(G0);
    expect(Array.from(s.x)).toEqual(Array.from(X0));
    expectClose(s.z, G0.map((g) => C * g));
    for (const k of NB.cOut) expectClose(s.rho.get(k)!, G0.map((g) => C * g));
    // nothing created or lost: own share plus both pushed shares is the gradient
    expectClose(G0.map((_, t) => s.z[t] + s.rho.get(1)![t] + s.rho.get(3)![t]), G0, 14);

    expect(envs).toHaveLength(3 * (NB.rOut.length + NB.cOut.length));
    for (const { to, reliable, msg } of envs) {
      expect(reliable).toBe(false);
      expect(msg).toMatchObject({ from: SELF, epoch: 0, seq: 1, offset: msg.block * 2 });
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
    const envs = p.applyGradient(Float32Array.from(G1));
    const s = p.inspect();
    const zt = zMid.map((z, t) => z + Math.fround(G1[t]) - G0[t]);
    expect(Array.from(s.x)).toEqual(xNew);
    expectClose(s.z, zt.map((z) => C * z));
    expectClose(s.rho.get(3)!, rhoBefore.map((r, t) => r + C * zt[t]));
    expect(envs.every((e) => e.msg.seq === 2)).toBe(true);

    // with no new mass arrived, a step consumes nothing
    const zBefore = Array.from(s.z);
    p.beginStep();
    expect(Array.from(p.inspect().z)).toEqual(zBefore);
  });

  it('setEpoch resets z to g, clears the running sums and keeps x', () => {
    const p = peer(false, 0, kernels);
    fullStep(p, G0);
    const a2 = [2, 0, 1, -1, 3];
    for (const m of [...wholeVector(vMsg, 2, a2), ...wholeVector(rhoMsg, 4, [1, 1, 1, 1, 1])]) p.receive(m);
    fullStep(p, G1);
    const x = Array.from(p.model());
    const nb: PeerNeighbours = { rIn: [2, 7], rOut: [7], cIn: [7], cOut: [2], undirected: [2, 7], members: [2, 5, 7] };

    expect(p.setEpoch(1, nb)).toEqual([]);
    const s = p.inspect();
    expect(s.epoch).toBe(1);
    expect(Array.from(s.x)).toEqual(x);
    expect(Array.from(s.z)).toEqual(Array.from(s.g));
    expect([...s.rho.keys()]).toEqual([2]);
    expect([...s.rhoNew.keys()]).toEqual([7]);
    for (const m of [s.rho, s.rhoNew, s.rhoTilde]) for (const buf of m.values()) expect(buf.every((e) => e === 0)).toBe(true);

    // the kept in-neighbour 2 still holds its v; the new one (7) starts at our own x
    const z = Array.from(s.z);
    p.beginStep();
    const v = z.map((zt, t) => Math.fround(x[t] - LR * zt));
    expectClose(p.params(), v.map((vt, t) => W * (vt + a2[t] + x[t])), 6);

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
    expectClose(p.params(), z.map((zt, t) => W * (Math.fround(y[t] - LR * zt) + 2 * y[t])), 6);
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
    const envs = p.applyGradient(Float32Array.from(G0));
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
