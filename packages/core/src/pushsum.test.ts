import { describe, expect, it } from 'vitest';
import { PushSum } from './pushsum';
import { MsgKind } from './contract';
import {
  LR, Network, aloneVersusSgd, baselineMaker, leastSquares, lockstepPeers, makePeers, malformed, malformedMidRound, massDrift,
  neighbourhood, worstError,
} from './baseline.test-driver';

const make = (blockSize: number, tau: number) => baselineMaker(PushSum, blockSize, { tau });

/**
 * The step is taken on the de-biased model, so peer i's numerator moves by -lr * w_i * g_i: records
 * sum_i w_i(b) * g_i (the weight of each coordinate's block at the time of the step) for massError.
 */
function recordWeightedGradients(peers: PushSum[], dim: number, blockSize: number): Float64Array {
  const sum = new Float64Array(dim);
  for (const p of peers) {
    const apply = p.applyGradient.bind(p);
    p.applyGradient = (g) => {
      for (let c = 0; c < dim; c++) sum[c] += p.weights()[Math.floor(c / blockSize)] * g[c];
      return apply(g);
    };
  }
  return sum;
}

/** Push-sum moves numerator and weight, never creates them: sum x = sum x0 - lr sum w g, sum w = n. */
function massError(peers: PushSum[], net: Network, weightedGrads: Float64Array): { numerator: number; weight: number } {
  let weight = 0;
  for (let b = 0; b < peers[0].weights().length; b++) {
    let w = 0;
    for (const p of peers) w += p.weights()[b];
    weight = Math.max(weight, Math.abs(w - peers.length));
  }
  return { numerator: massDrift(peers.map((p) => p.numerator()), net, weightedGrads), weight };
}

describe('PushSum', () => {
  it('names itself sgp for tau = 0 and osgp otherwise', () => {
    const nb = neighbourhood([0, 1]).get(0)!;
    const base = { id: 0, x0: new Float32Array(3), lr: LR, blockSize: 2, epoch: 0, neighbours: nb };
    expect(new PushSum(base).name).toBe('sgp');
    expect(new PushSum({ ...base, tau: 3 }).name).toBe('osgp');
    expect(() => new PushSum({ ...base, tau: -1 })).toThrow(/tau/);
  });

  it('pushes to i + 2^(t mod ceil(log2 n)) and keeps stepping only tau rounds ahead of its in-messages', () => {
    const members = [0, 1, 2, 3, 4, 5]; // m = 3: offsets 1, 2, 4
    const peers = makePeers(members, make(5, 4), 12);
    const p = peers[2];
    const targets: number[] = [];
    const g = new Float32Array(12);
    for (let t = 0; t < 5; t++) {
      expect(p.ready()).toBe(true);
      p.beginStep();
      const envs = p.applyGradient(g);
      expect(new Set(envs.map((e) => e.to)).size).toBe(1);
      expect(envs.map((e) => [e.msg.kind, e.msg.seq, e.reliable])).toEqual([0, 1, 2].map(() => [MsgKind.PushSum, t, true]));
      targets.push(envs[0].to);
    }
    expect(targets).toEqual([3, 4, 0, 3, 4]);
    expect(p.ready()).toBe(false); // 5 = tau + 1 steps without any in-message
    const sgp = makePeers(members, make(5, 0), 12)[2];
    sgp.applyGradient(g);
    expect(sgp.ready()).toBe(false);
  });

  it('SGP converges on an IID problem with several blocks per model', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 51, iid: true });
    const peers = makePeers(members, make(5, 0), problem.dim);
    new Network(peers, problem, { seed: 2, speeds: [1, 2, 1, 0.5, 1, 3] }).run(300);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
  });

  it('OSGP converges on an IID problem with several blocks per model', () => {
    const members = [0, 1, 2, 3, 4];
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 53, iid: true });
    const peers = makePeers(members, make(5, 3), problem.dim);
    new Network(peers, problem, { seed: 3, speeds: [1, 2, 1, 0.5, 3] }).run(300);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
  });

  it('SGP holds messages of rounds it has not stepped: uneven interleavings give the lockstep result', () => {
    const members = [0, 1, 2, 3, 4, 5, 6];
    const problem = leastSquares({ n: 7, dim: 12, rows: 36, seed: 57, iid: false });
    const lockstep = lockstepPeers(members, make(5, 0), problem, 40);
    const uneven = makePeers(members, make(5, 0), problem.dim);
    const net = new Network(uneven, problem, { seed: 5, speeds: [8, 1, 0.2, 3, 1, 5, 0.5] });
    net.run(40);
    expect(net.aheadDeliveries).toBeGreaterThan(0);
    for (let i = 0; i < members.length; i++) expect(uneven[i].model()).toEqual(lockstep[i].model());
  });

  for (const tau of [0, 2]) {
    it(`conserves numerator and weight under uneven interleavings (tau = ${tau})`, () => {
      const members = [0, 1, 2, 3, 4, 5];
      const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 59, iid: false });
      const peers = makePeers(members, make(5, tau), problem.dim);
      const weighted = recordWeightedGradients(peers, problem.dim, 5);
      const net = new Network(peers, problem, { seed: 14, speeds: [5, 1, 0.3, 2, 1, 1] });
      net.run(50);
      expect(net.queued()).toBe(0);
      const err = massError(peers, net, weighted);
      expect(err.numerator).toBeLessThan(1e-5);
      expect(err.weight).toBeLessThan(1e-12);
    });
  }

  it('rejects malformed messages without touching its state, then steps as if nothing happened', () => {
    const problem = leastSquares({ n: 5, dim: 12, rows: 36, seed: 61, iid: false });
    const run = malformedMidRound([0, 1, 2, 3, 4], make(5, 0), problem, 3, (held) => {
      const valid = held[0].msg;
      expect(held[0].to).toBe(1); // round 3: to 0 + 2^(3 mod 3) = peer 1
      return [
        ...malformed(valid),
        ['member that is not this round\'s in-peer', { ...valid, from: 3 }],
        ['weight share 0', { ...valid, aux: 0 }],
        ['negative weight share', { ...valid, aux: -0.5 }],
        ['weight share above n', { ...valid, aux: 6 }],
        ['a round this in-peer already sent', { ...valid, seq: 0 }],
        ['its next round, skipping this one', { ...valid, seq: valid.seq + 3 }],
        ['kind of another algorithm', { ...valid, kind: MsgKind.GossipModel }],
      ];
    });
    expect(run.notRejected).toEqual([]);
    expect(run.modelChanged).toBe(false);
    for (let i = 0; i < run.peers.length; i++) expect(run.peers[i].model()).toEqual(run.reference[i].model());
  });

  it('re-normalises on setEpoch: the model becomes the numerator with weight 1', () => {
    const [p] = makePeers([0, 1, 2, 3], make(5, 0), 12);
    p.loadModel(Float32Array.from({ length: 12 }, (_, i) => i - 4));
    p.applyGradient(Float32Array.from({ length: 12 }, (_, i) => 1 + (i % 3)));
    expect([...p.weights()]).toEqual([0.5, 0.5, 0.5]); // half of each block's weight was pushed
    const model = Float32Array.from(p.model());
    expect(p.setEpoch(1, neighbourhood([0, 1, 2]).get(0)!)).toEqual([]);
    expect([...p.weights()]).toEqual([1, 1, 1]);
    expect(p.numerator()).toEqual(model);
    expect(p.model()).toEqual(model);
  });

  it('restarts on a membership change without deadlock and keeps converging', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 67, iid: true });
    const peers = makePeers(members, make(5, 0), problem.dim);
    const net = new Network(peers, problem, { seed: 6, speeds: [1, 2, 0.5, 1, 3, 1] });
    net.run(20, true);
    net.changeEpoch(1, [4], neighbourhood([0, 1, 2, 3, 5]));
    net.run(300);
    expect(worstError(net.peers, problem.xStar!)).toBeLessThan(1e-3);
    for (const p of net.peers as PushSum[]) for (const w of p.weights()) expect(w).toBeGreaterThan(0.1);
  });

  it('steps the de-biased model by lr * g however much weight it has pushed away (OSGP running ahead)', () => {
    const [p] = makePeers([0, 1, 2, 3], make(5, 4), 12);
    const g = Float32Array.from({ length: 12 }, (_, i) => 1 - i / 6);
    for (let t = 0; t < 5; t++) {
      expect(p.ready()).toBe(true);
      const before = Float32Array.from(p.model());
      p.beginStep();
      p.applyGradient(g);
      // Nothing received: after t + 1 steps the peer holds 2^-(t+1) of its weight ...
      for (const w of p.weights()) expect(w).toBe(2 ** -(t + 1));
      // ... and its de-biased model still moved by exactly lr * g (a numerator step would be lr * 2^t * g).
      const moved = p.model().map((z, i) => before[i] - z);
      for (let i = 0; i < 12; i++) expect(moved[i]).toBeCloseTo(LR * g[i], 5);
    }
  });

  it('is plain SGD with one member', () => {
    const alone = aloneVersusSgd(make(4, 0), 5);
    expect(alone.quiet).toBe(true);
    expect(alone.model).toEqual(alone.sgd);
  });
});
