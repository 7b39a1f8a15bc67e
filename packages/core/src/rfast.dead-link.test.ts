/**
 * A link that never opens (RFast.linksOpen): tracker mass pushed along it waits in its running sum
 * for good, so the peers settle where the gradients they track do not sum to zero; pushed only
 * along open links, the same run reaches the exact optimum.
 */
import { describe, expect, it } from 'vitest';
import type { PeerId } from './contract';
import { Rng } from './rng';
import { buildTopology, neighboursOf } from './topology';
import { LossyNet, averageSmoothness, makeProblem, massImbalance, optimum, spawn, worstError } from './rfast.test-driver';

const IDS: PeerId[] = [2, 3, 5, 8, 11, 13, 17, 19];
const DEAD: readonly [PeerId, PeerId] = [2, 3]; // an out-edge of peer 2 on both graphs of the exponential graph

function run(tell: boolean): { error: number; imbalance: number } {
  const problem = makeProblem(new Rng(42), IDS, 5, 4);
  const net = new LossyNet(problem, new Rng(7), { loss: 0.1, duplicate: 0.1, dead: [DEAD] });
  const t = buildTopology('exponential', IDS);
  spawn(net, t, { lr: 0.5 / averageSmoothness(problem, IDS), blockSize: 2 });
  expect(neighboursOf(t, DEAD[0]).cOut).toContain(DEAD[1]);
  if (tell) {
    const [from, to] = DEAD;
    net.peers.get(from)!.linksOpen(new Set(neighboursOf(t, from).cOut.filter((k) => k !== to).concat(neighboursOf(t, from).rIn)));
  }
  const xStar = optimum(problem, IDS);
  net.runUntil(() => worstError(net.peers, xStar) < 1e-6, 400_000);
  return { error: worstError(net.peers, xStar), imbalance: massImbalance(net.peers) };
}

describe('R-FAST with a link that never opens', () => {
  it('pushing along it strands mass and misses the optimum; pushing only along open links reaches it', () => {
    const blind = run(false);
    const told = run(true);
    expect(blind.imbalance).toBeLessThan(1e-10); // the mass is not lost, only stuck in the dead link's running sum
    expect(blind.error).toBeGreaterThan(1e-3);
    expect(told.error).toBeLessThan(1e-6);
    expect(told.imbalance).toBeLessThan(1e-10);
  });
});
