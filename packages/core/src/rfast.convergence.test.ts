/**
 * R-FAST with exact gradients reaches the exact optimum of a heterogeneous least-squares problem
 * whatever the loss, on strongly connected graphs and on a star / tree pair; the naive increment
 * variant does not; and a membership change ends at the optimum of the new member set.
 */
import { describe, expect, it } from 'vitest';
import type { PeerId } from './contract';
import { RFast } from './rfast';
import type { RfastEncodingName } from './rfast-config';
import { Rng } from './rng';
import { buildTopology, neighboursOf, type TopologyKind } from './topology';
import {
  LossyNet,
  addPeerData,
  averageSmoothness,
  gradient,
  makeProblem,
  massImbalance,
  PUSH_SHARE_SIZED_FOR,
  optimum,
  relError,
  spawn,
  worstError,
} from './rfast.test-driver';

const IDS: PeerId[] = [2, 3, 5, 8, 11, 13, 17, 19];
const DIM = 5;
const TARGET = 1e-6;
const MAX_EVENTS = 600_000;

/**
 * Step sizes as multiples of 1/L. On the star and the tree the root's tracker holds the whole
 * gradient sum (u_root = 1), so alpha is divided by n there; their longer mass paths (leaf -> root
 * -> leaf) add delay, hence the smaller factors.
 */
const LR_FACTOR: Partial<Record<TopologyKind, number>> = { exponential: 1, star: 0.25, tree: 0.1 };

function setup(kind: TopologyKind, loss: number, naive = false, encoding: RfastEncodingName = 'f32', sendRate = 0): { net: LossyNet; xStar: Float64Array } {
  const problem = makeProblem(new Rng(42), IDS, DIM, 4);
  const scale = kind === 'exponential' ? 1 : IDS.length;
  // A push moves only PUSH_SHARE_SIZED_FOR of z, so each peer descends mostly along its own
  // data's gradient between pushes, whose curvature can be a few times the average's: half of 1/L
  // (1/L itself diverges at share 0.1; it converged at the spec's 2/3). Sends at random times
  // (sendRate > 0) leave mass in z for several steps more, so the step is smaller still.
  const lr = (sendRate > 0 ? 0.25 : 0.5) * LR_FACTOR[kind]! / averageSmoothness(problem, IDS) / scale;
  const net = new LossyNet(problem, new Rng(7), { loss, duplicate: 0.1, sendRate });
  spawn(net, buildTopology(kind, IDS, { root: 11 }), { lr, blockSize: 2, naive, encoding });
  return { net, xStar: optimum(problem, IDS) };
}

describe('R-FAST convergence with exact gradients', () => {
  it('the problem is heterogeneous: no peer is at its own optimum at the global one', () => {
    const { net, xStar } = setup('exponential', 0);
    const g = new Float32Array(DIM);
    for (const id of IDS) {
      gradient(net.problem, id, xStar, g);
      expect(Math.hypot(...g)).toBeGreaterThan(0.1);
    }
  });

  for (const kind of ['exponential', 'star', 'tree'] as const) {
    for (const loss of [0, 0.2, 0.5]) {
      it(`${kind}, ${loss * 100}% loss, duplication and reordering: reaches the optimum`, () => {
        const { net, xStar } = setup(kind, loss);
        net.runUntil(() => worstError(net.peers, xStar) < TARGET, MAX_EVENTS);
        expect(worstError(net.peers, xStar)).toBeLessThan(TARGET);
        expect(massImbalance(net.peers)).toBeLessThan(1e-10);
        if (loss > 0) expect(sumStats(net, 'stale')).toBeGreaterThan(0); // reordering really happened
      });
    }
  }

  for (const encoding of ['f16-i8', 'i8', 'i4', 'bf16-i8', 'f16-f32'] as const) {
    for (const [loss, sendRate] of [[0.5, 0], [0.5, 0.5]] as const) {
      it(`compact frames (${encoding}), ${loss * 100}% loss, sends ${sendRate > 0 ? 'at random times' : 'after each step'}: reaches the optimum`, () => {
        const { net, xStar } = setup('exponential', loss, false, encoding, sendRate);
        net.runUntil(() => worstError(net.peers, xStar) < TARGET, MAX_EVENTS);
        expect(worstError(net.peers, xStar)).toBeLessThan(TARGET);
        expect(massImbalance(net.peers)).toBeLessThan(1e-10);
      });
    }
  }

  it('the naive increment variant misses the optimum at 20% loss where R-FAST does not', () => {
    const events = 200_000;
    const robust = setup('exponential', 0.2);
    const naive = setup('exponential', 0.2, true);
    for (let e = 0; e < events; e++) {
      robust.net.event();
      naive.net.event();
    }
    expect(worstError(robust.net.peers, robust.xStar)).toBeLessThan(TARGET);
    expect(worstError(naive.net.peers, naive.xStar)).toBeGreaterThan(1e-2);
  });

  it('after a leave, a join and a new epoch it ends at the optimum of the new member set', () => {
    const rng = new Rng(5);
    const joiner = 23;
    const before = IDS;
    const after = [...IDS.filter((id) => id !== 5), joiner];
    const problem = makeProblem(rng, before, DIM, 4);
    addPeerData(problem, rng, joiner, 4, [3, -3, 3, -3, 3]);
    const lr = 1 / Math.max(averageSmoothness(problem, before), averageSmoothness(problem, after));
    const net = new LossyNet(problem, rng, { loss: 0.2, duplicate: 0.1 });
    spawn(net, buildTopology('exponential', before), { lr, blockSize: 2 });
    for (let e = 0; e < 20_000; e++) net.event();

    // Peer 5 crashes; the coordinator announces epoch 1. Its messages stay in flight and must be refused.
    net.remove(5);
    const t1 = buildTopology('exponential', after);
    const nb = neighboursOf(t1, joiner);
    const newcomer = new RFast({ id: joiner, x0: new Float32Array(DIM), lr, blockSize: 2, epoch: 1, neighbours: nb, encoding: 'f32', pushShare: PUSH_SHARE_SIZED_FOR });
    newcomer.loadModel(net.peers.get(nb.rIn[0])!.model()); // start from a neighbour, not from scratch
    net.add(newcomer);
    const staleBefore = sumStats(net, 'stale');
    const pending = after.filter((id) => id !== joiner);
    while (pending.length > 0) {
      // the announcement reaches live peers at different times while traffic continues
      if (rng.next() < 0.05) {
        const id = pending.splice(rng.int(pending.length), 1)[0];
        net.peers.get(id)!.setEpoch(1, neighboursOf(t1, id));
      }
      net.event();
    }
    expect(sumStats(net, 'stale')).toBeGreaterThan(staleBefore); // cross-epoch traffic was dropped
    expect(massImbalance(net.peers)).toBeLessThan(1e-10); // sum z = sum g again once all switched

    const xNew = optimum(problem, after);
    expect(relError(xNew, optimum(problem, before))).toBeGreaterThan(0.05); // the target really moved
    net.runUntil(() => worstError(net.peers, xNew) < TARGET, MAX_EVENTS);
    expect(worstError(net.peers, xNew)).toBeLessThan(TARGET);
    expect([...net.peers.keys()].sort((a, b) => a - b)).toEqual(after.slice().sort((a, b) => a - b));
  });
});

function sumStats(net: LossyNet, key: 'stale' | 'rejected'): number {
  let s = 0;
  for (const p of net.peers.values()) s += p.stats()[key];
  return s;
}
