import { describe, expect, it } from 'vitest';
import { AllReduceSgd } from './allreduce';
import { MsgKind } from './contract';
import {
  LR, Network, aloneVersusSgd, baselineMaker, leastSquares, lockstepPeers, makePeers, malformed, malformedMidRound, maxDiff,
  neighbourhood, worstError,
} from './baseline.test-driver';

const make = (blockSize: number) => baselineMaker(AllReduceSgd, blockSize);

/** x <- x - lr * mean_i grad f_i(x), in float64 (gradients evaluated at the float32-rounded x). */
function centralizedSgd(problem: ReturnType<typeof leastSquares>, steps: number): Float64Array {
  const x = new Float64Array(problem.dim);
  const x32 = new Float32Array(problem.dim);
  const g = new Float32Array(problem.dim);
  for (let t = 0; t < steps; t++) {
    x32.set(x);
    const mean = new Float64Array(problem.dim);
    for (let i = 0; i < problem.n; i++) {
      problem.grad(i, x32, g);
      for (let c = 0; c < problem.dim; c++) mean[c] += g[c] / problem.n;
    }
    for (let c = 0; c < problem.dim; c++) x[c] -= LR * mean[c];
  }
  return x;
}

describe('AllReduceSgd', () => {
  for (const n of [2, 3, 5]) {
    it(`applies exactly the mean-gradient step of centralized SGD, identically on every peer (n = ${n})`, () => {
      const members = Array.from({ length: n }, (_, i) => 10 + 3 * i);
      const problem = leastSquares({ n, dim: 40, rows: 120, seed: 11, iid: false });
      const peers = makePeers(members, make(3), problem.dim); // 14 blocks
      const net = new Network(peers, problem, { seed: 5, speeds: [1, 3, 0.3, 1, 2] });
      net.run(30);
      const ref = centralizedSgd(problem, 30);
      const scale = Math.max(...ref.map(Math.abs));
      for (const p of peers) {
        expect(p.model()).toEqual(peers[0].model());
        expect(maxDiff(p.model(), ref) / scale).toBeLessThan(1e-5);
        expect(p.stats()).toMatchObject({ steps: 30, rejected: 0, stale: 0 });
      }
    });
  }

  it('does not depend on delivery order: blocks that arrive before its own gradient wait for it', () => {
    const members = [0, 1, 2, 3];
    const problem = leastSquares({ n: 4, dim: 12, rows: 36, seed: 3, iid: false });
    const lockstep = lockstepPeers(members, make(5), problem, 40);
    const uneven = makePeers(members, make(5), problem.dim);
    const net = new Network(uneven, problem, { seed: 2, speeds: [5, 1, 0.2, 1] });
    net.run(40);
    expect(net.earlyDeliveries).toBeGreaterThan(0);
    for (let i = 0; i < members.length; i++) expect(uneven[i].model()).toEqual(lockstep[i].model());
  });

  it('converges on an IID problem with more peers than blocks (empty segments)', () => {
    const members = [0, 2, 3, 7, 9];
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 7, iid: true });
    const peers = makePeers(members, make(5), problem.dim); // 3 blocks over 5 segments
    new Network(peers, problem, { seed: 9, speeds: [1, 2, 1, 0.5, 1] }).run(300);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
  });

  it('is plain SGD with one member', () => {
    const alone = aloneVersusSgd(make(4), 5);
    expect(alone.quiet).toBe(true);
    expect(alone.model).toEqual(alone.sgd);
  });

  it('rejects malformed messages without touching its state, then completes the round correctly', () => {
    const problem = leastSquares({ n: 3, dim: 12, rows: 36, seed: 8, iid: false });
    const run = malformedMidRound([0, 1, 2], make(5), problem, 2, (held) => {
      const valid = held.find((e) => e.to === 1 && e.msg.kind === MsgKind.ArReduce)!.msg;
      return [
        ...malformed(valid),
        ['member that is not the ring predecessor', { ...valid, from: 2 }],
        ['wrong hop', { ...valid, aux: valid.aux + 1 }],
        ['two rounds ahead', { ...valid, seq: valid.seq + 2 }],
        ['gather before this peer reduced', { ...valid, kind: MsgKind.ArGather, aux: 1 }],
        ['kind of another algorithm', { ...valid, kind: MsgKind.DpsgdModel }],
      ];
    });
    expect(run.notRejected).toEqual([]);
    expect(run.modelChanged).toBe(false);
    for (let i = 0; i < run.peers.length; i++) expect(run.peers[i].model()).toEqual(run.reference[i].model());
    expect(run.rejected).toBe(run.variants);
  });

  it('restarts its rounds on a membership change without deadlock and keeps converging', () => {
    const members = [0, 1, 2, 3, 4];
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 21, iid: true });
    const peers = makePeers(members, make(5), problem.dim);
    const net = new Network(peers, problem, { seed: 6, speeds: [1, 2, 0.5, 1, 3] });
    net.run(20, true); // stop with rounds in flight
    net.changeEpoch(1, [3], neighbourhood([0, 1, 2, 4]));
    net.run(300);
    const live = net.peers;
    expect(live.map((p) => p.id)).toEqual([0, 1, 2, 4]);
    expect(worstError(live, problem.xStar!)).toBeLessThan(1e-3);
  });
});
