import { describe, expect, it } from 'vitest';
import { Dpsgd } from './dpsgd';
import { MsgKind } from './contract';
import {
  LR, Network, baselineMaker, leastSquares, lockstepPeers, makePeers, malformed, malformedMidRound, maxDiff, neighbourhood,
  worstError,
} from './baseline.test-driver';

// robust 'off': these tests check the exact recursion; clipping has its own (robust-clip.test.ts, sim attacks.test.ts).
const make = (blockSize: number) => baselineMaker(Dpsgd, blockSize, { robust: 'off' });

/** D-PSGD on one machine in float64: x_i <- sum_j W_ij x_j - lr g_i(x_i), Metropolis weights. */
function reference(problem: ReturnType<typeof leastSquares>, nbrs: number[][], steps: number): Float64Array[] {
  const n = problem.n;
  let xs = Array.from({ length: n }, () => new Float64Array(problem.dim));
  const g = new Float32Array(problem.dim);
  for (let t = 0; t < steps; t++) {
    const next = xs.map((x, i) => {
      const out = new Float64Array(problem.dim);
      problem.grad(i, Float32Array.from(x), g);
      let wSelf = 1;
      for (const j of nbrs[i]) {
        const w = 1 / (1 + Math.max(nbrs[i].length, nbrs[j].length));
        wSelf -= w;
        for (let c = 0; c < out.length; c++) out[c] += w * xs[j][c];
      }
      for (let c = 0; c < out.length; c++) out[c] += wSelf * x[c] - LR * g[c];
      return out;
    });
    xs = next;
  }
  return xs;
}

describe('Dpsgd', () => {
  it('follows the D-PSGD recursion with Metropolis weights on an irregular graph', () => {
    // A path 0-1-2-3 plus a chord 1-3: degrees 1, 3, 2, 2.
    const nbrs = [[1], [0, 2, 3], [1, 3], [1, 2]];
    const members = [0, 1, 2, 3];
    const problem = leastSquares({ n: 4, dim: 12, rows: 36, seed: 5, iid: false });
    const peers = members.map((id) => {
      const und = nbrs[id];
      const nb = { rIn: und, rOut: und, cIn: und, cOut: und, undirected: und, members };
      return new Dpsgd({ id, x0: new Float32Array(problem.dim), lr: LR, blockSize: 5, epoch: 0, neighbours: nb, robust: 'off' });
    });
    new Network(peers, problem, { seed: 3, speeds: [2, 1, 0.5, 1] }).run(25);
    const ref = reference(problem, nbrs, 25);
    const scale = Math.max(...ref.flatMap((x) => [...x].map(Math.abs)));
    for (let i = 0; i < 4; i++) expect(maxDiff(peers[i].model(), ref[i]) / scale).toBeLessThan(1e-5);
  });

  it('buffers a neighbour one round ahead: uneven interleavings give the lockstep result', () => {
    const members = [0, 1, 2, 3, 4];
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 13, iid: false });
    const lockstep = lockstepPeers(members, make(5), problem, 40);
    const uneven = makePeers(members, make(5), problem.dim);
    const net = new Network(uneven, problem, { seed: 8, speeds: [6, 1, 0.2, 3, 1] });
    net.run(40);
    expect(net.aheadDeliveries).toBeGreaterThan(0);
    const scale = Math.max(...[...lockstep[0].model()].map(Math.abs));
    // Only the order of the float32 additions of neighbours' blocks differs.
    for (let i = 0; i < members.length; i++) expect(maxDiff(uneven[i].model(), lockstep[i].model()) / scale).toBeLessThan(1e-5);
  });

  it('converges on an IID problem with several blocks per model', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 17, iid: true });
    const peers = makePeers(members, make(5), problem.dim);
    new Network(peers, problem, { seed: 2, speeds: [1, 2, 1, 0.5, 1, 3] }).run(300);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
  });

  it('rejects malformed messages without touching its state, then completes the round correctly', () => {
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 19, iid: false });
    const run = malformedMidRound([0, 1, 2, 3, 4], make(5), problem, 3, (held) => {
      const valid = held.find((e) => e.to === 1 && e.msg.kind === MsgKind.DpsgdModel)!.msg;
      return [
        ...malformed(valid),
        ['member that is not a neighbour', { ...valid, from: 3 }],
        ['degree 0', { ...valid, aux: 0 }],
        ['degree larger than the epoch allows', { ...valid, aux: 5 }],
        ['fractional degree', { ...valid, aux: 2.5 }],
        ['two rounds ahead', { ...valid, seq: valid.seq + 2 }],
        ['next round before this peer stepped', { ...valid, seq: valid.seq + 1 }],
        ['kind of another algorithm', { ...valid, kind: MsgKind.PushSum }],
      ];
    });
    expect(run.notRejected).toEqual([]);
    expect(run.modelChanged).toBe(false);
    const { peers, reference } = run;
    const scale = Math.max(...[...reference[0].model()].map(Math.abs));
    for (let i = 0; i < peers.length; i++) expect(maxDiff(peers[i].model(), reference[i].model()) / scale).toBeLessThan(1e-5);
    expect(run.rejected).toBe(run.variants);
  });

  it('refuses a neighbour whose announced degree changes within an epoch', () => {
    const members = [0, 1, 2];
    const problem = leastSquares({ n: 3, dim: 12, rows: 36, seed: 2, iid: false });
    const peers = makePeers(members, make(5), problem.dim);
    const net = new Network(peers, problem, { seed: 4 });
    const toPeer1 = net.takeStep(0).filter((e) => e.to === 1);
    expect(toPeer1.map((e) => e.msg.aux)).toEqual([2, 2, 2]);
    expect(net.inject(1, toPeer1[0].msg)).toEqual([]);
    expect(peers[1].stats().rejected).toBe(0);
    net.inject(1, { ...toPeer1[1].msg, aux: 1 });
    expect(peers[1].stats().rejected).toBe(1);
  });

  it('restarts its rounds on a membership change without deadlock and keeps converging', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 23, iid: true });
    const peers = makePeers(members, make(5), problem.dim);
    const net = new Network(peers, problem, { seed: 6, speeds: [1, 2, 0.5, 1, 3, 1] });
    net.run(20, true);
    net.changeEpoch(1, [2], neighbourhood([0, 1, 3, 4, 5]));
    net.run(300);
    expect(worstError(net.peers, problem.xStar!)).toBeLessThan(1e-3);
  });
});
