import { describe, expect, it } from 'vitest';
import { GossipSgd, gossipFanout } from './gossip';
import { MsgKind, type Message, type PeerId, type PeerNeighbours } from './contract';
import { Network, feedInvalid, leastSquares, makePeers, malformed, neighbourhood, worstError } from './baseline.test-driver';

const LR = 0.3;

function make(blockSize: number, extra: { localSteps?: number; fanout?: number; fanoutC?: number } = {}) {
  return (id: PeerId, neighbours: PeerNeighbours, x0: Float32Array) =>
    new GossipSgd({ id, x0, lr: LR, blockSize, epoch: 0, neighbours, seed: 3, ...extra });
}

const members = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('GossipSgd', () => {
  it('defaults its fanout to ceil(c ln n), clipped to the other members', () => {
    for (const n of [2, 3, 5, 16, 64]) {
      for (const c of [0.5, 1, 2]) {
        const [p] = makePeers(members(n), make(4, { fanoutC: c }), 8, 'complete');
        expect(p.fanout).toBe(Math.min(n - 1, Math.ceil(c * Math.log(n))));
        expect(gossipFanout(n, c)).toBe(p.fanout);
      }
      expect(makePeers(members(n), make(4), 8, 'complete')[0].fanout).toBe(Math.min(n - 1, Math.ceil(Math.log(n))));
    }
    expect(makePeers(members(16), make(4, { fanout: 5 }), 8, 'complete')[0].fanout).toBe(5);
    expect(makePeers([7], make(4), 8)[0].fanout).toBe(0);
  });

  it('pushes every H steps to f distinct random other members: model blocks and its version vector', () => {
    const n = 20;
    const peers = makePeers(members(n), make(3, { localSteps: 2 }), 8, 'complete'); // 3 blocks
    const p = peers[4];
    const g = new Float32Array(8);
    const targetsSeen = new Set<number>();
    for (let t = 1; t <= 20; t++) {
      p.beginStep();
      const envs = p.applyGradient(g);
      if (t % 2 === 1) {
        expect(envs).toEqual([]);
        continue;
      }
      const targets = [...new Set(envs.map((e) => e.to))];
      expect(targets).toHaveLength(Math.ceil(Math.log(n)));
      expect(targets).not.toContain(4);
      for (const to of targets) {
        const mine = envs.filter((e) => e.to === to);
        expect(mine.map((e) => [e.msg.kind, e.msg.block, e.msg.aux, e.reliable])).toEqual([
          [MsgKind.GossipModel, 0, t / 2, false],
          [MsgKind.GossipModel, 1, t / 2, false],
          [MsgKind.GossipModel, 2, t / 2, false],
          [MsgKind.GossipVersions, 0, t / 2, false],
        ]);
        expect(mine[3].msg.data).toBeInstanceOf(Float64Array);
        expect(mine[3].msg.data).toHaveLength(n);
        targetsSeen.add(to);
      }
    }
    expect(targetsSeen.size).toBeGreaterThan(Math.ceil(Math.log(n))); // targets are redrawn every version
    expect(p.versions()[4]).toBe(10);
  });

  it('averages each received block with its own and counts a version as mixed once all blocks came', () => {
    const [a, b] = makePeers([0, 1], make(3), 7);
    const xb = Float32Array.from([2, 2, 2, 2, 2, 2, 2]);
    b.loadModel(xb);
    a.beginStep();
    const envs = a.applyGradient(Float32Array.from([-10, -10, -10, -10, -10, -10, -10])); // x_a = 3 everywhere
    const copy = (m: Message): Message => ({ ...m, data: m.data.slice() });
    const [blk0, blk1, blk2, versions] = envs.map((e) => copy(e.msg));
    b.receive(blk0);
    b.receive(blk2);
    expect(Array.from(b.model())).toEqual([2.5, 2.5, 2.5, 2, 2, 2, 2.5]); // block 1 was "lost"
    b.receive(versions);
    expect(b.versions()[0]).toBe(0); // heard of version 1, not fully mixed
    expect(b.versionAges()).toEqual({ mean: 1, p95: 1, max: 1 });
    b.receive(blk1);
    expect(b.versions()[0]).toBe(1);
    expect(b.versionAges()).toEqual({ mean: 0, p95: 0, max: 0 });
  });

  it('converges on an IID problem without loss', () => {
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 71, iid: true });
    const peers = makePeers(members(6), make(5), problem.dim, 'complete');
    new Network(peers, problem, { seed: 2, speeds: [1, 2, 1, 0.5, 1, 3] }).run(300);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
  });

  it('converges with 20% loss and duplication, and reports version ages >= 0', () => {
    const n = 8;
    const problem = leastSquares({ n, dim: 12, rows: 36, seed: 73, iid: true });
    const peers = makePeers(members(n), make(5, { localSteps: 2 }), problem.dim, 'complete');
    const net = new Network(peers, problem, { seed: 5, speeds: [1, 2, 1, 0.5, 1, 3, 1, 1], loss: 0.2, duplicate: 0.1 });
    net.run(400);
    expect(net.dropped).toBeGreaterThan(0);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
    let anyPositive = false;
    for (const p of peers) {
      const ages = p.versionAges();
      expect(ages.mean).toBeGreaterThanOrEqual(0);
      expect(ages.p95).toBeGreaterThanOrEqual(0);
      expect(ages.max).toBeGreaterThanOrEqual(ages.p95);
      anyPositive ||= ages.max > 0;
      // What a peer counts as mixed never exceeds what the other peer has produced.
      for (const q of peers) expect(p.versions()[q.id]).toBeLessThanOrEqual(q.versions()[q.id]);
      expect(p.versions()[p.id]).toBe(200);
    }
    expect(anyPositive).toBe(true); // lost blocks leave versions heard of but not mixed
  });

  it('rejects malformed model blocks and version vectors without touching its state', () => {
    const peers = makePeers(members(3), make(5, { fanout: 2 }), 12, 'complete');
    const envs = peers[0].applyGradient(new Float32Array(12).fill(1));
    const toOne = envs.filter((e) => e.to === 1).map((e) => e.msg);
    const model = toOne.find((m) => m.kind === MsgKind.GossipModel)!;
    const vv = toOne.find((m) => m.kind === MsgKind.GossipVersions)!;
    const negative = Float64Array.from(vv.data);
    negative[2] = -1;
    const nan = Float64Array.from(vv.data);
    nan[0] = NaN;
    const res = feedInvalid(peers[1], [
      ...malformed(model),
      ['from itself', { ...model, from: 1 }],
      ['version 0', { ...model, aux: 0 }],
      ['fractional version', { ...model, aux: 1.5 }],
      ['vector of the wrong length', { ...vv, data: new Float64Array(5) }],
      ['vector as float32', { ...vv, data: Float32Array.from(vv.data) }],
      ['negative version in the vector', { ...vv, data: negative }],
      ['NaN in the vector', { ...vv, data: nan }],
      ['vector with a block index', { ...vv, block: 1 }],
      ['vector from a non-member', { ...vv, from: 9 }],
      ['vector with a negative epoch', { ...vv, epoch: -1 }],
    ]);
    expect(res.notRejected).toEqual([]);
    expect(res.modelChanged).toBe(false);
    expect(peers[1].versionAges()).toEqual({ mean: 0, p95: 0, max: 0 });
    expect(peers[1].receive(model)).toEqual([]);
    expect(peers[1].stats().rejected).toBe(malformed(model).length + 10);
    // Another (valid) epoch is not malformed: frames cross membership changes. Dropped as stale.
    const stale = peers[1].stats().stale;
    expect(peers[1].receive({ ...model, epoch: 1 })).toEqual([]);
    expect(peers[1].stats().stale).toBe(stale + 1);
    expect(peers[1].stats().rejected).toBe(malformed(model).length + 10);
  });

  it('a block claiming version 2^32 - 1 is refused and charged; the honest versions after it are still mixed', () => {
    const [a, b] = makePeers([0, 1], make(7), 7);
    b.loadModel(new Float32Array(7).fill(2));
    a.beginStep();
    const first = a.applyGradient(new Float32Array(7).fill(-10)).map((e) => ({ ...e.msg, data: e.msg.data.slice() })); // x_a = 3, version 1
    b.receive(first[0]);
    expect(b.model()[0]).toBe(2.5);
    b.receive({ ...first[0], aux: 4294967295, data: new Float32Array(7).fill(100) });
    expect(b.model()[0]).toBe(2.5); // not mixed
    expect(b.senderEvidence().get(0)).toMatchObject({ seqJumps: 1 });
    b.receive({ ...first[1], aux: 4294967295 });
    a.beginStep();
    const second = a.applyGradient(new Float32Array(7)); // version 2, x_a still 3
    b.receive(second[0].msg);
    expect(b.model()[0]).toBe(2.75); // version 2 is news
    expect(b.versionAges().max).toBeLessThan(3);
  });

  it('a first block with a wild version does not block the honest versions after it', () => {
    const [a, b] = makePeers([0, 1], make(7), 7);
    b.loadModel(new Float32Array(7).fill(2));
    b.receive({ kind: MsgKind.GossipModel, from: 0, epoch: 0, seq: 1, block: 0, offset: 0, aux: 4294967295, data: new Float32Array(7).fill(4) });
    expect(b.model()[0]).toBe(3);
    a.beginStep();
    b.receive(a.applyGradient(new Float32Array(7).fill(-5))[0].msg); // x_a = 1.5, version 1
    expect(b.model()[0]).toBe(2.25);
  });

  it('keeps version vectors across a membership change and gossips only to live members', () => {
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 79, iid: true });
    const peers = makePeers(members(5), make(5), problem.dim, 'complete');
    const net = new Network(peers, problem, { seed: 8 });
    net.run(20, true);
    net.changeEpoch(1, [2], neighbourhood([0, 1, 3, 4], 'complete'));
    net.run(300);
    expect(worstError(net.peers, problem.xStar!)).toBeLessThan(1e-3);
    for (const p of net.peers as GossipSgd[]) {
      expect(p.versions()[p.id]).toBe(300);
      expect(p.fanout).toBe(Math.ceil(Math.log(4)));
    }
  });
});
