/**
 * The baselines under the simulator: each converges when data is IID and the network reliable; on
 * non-IID data with a constant step only R-FAST (gradient tracking) reaches the optimum; a straggler
 * stalls AllReduce but not R-FAST; a topology without a common root is refused.
 */
import type { AlgorithmName, Topology } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { runSimulation } from './simulator';
import { lsConfig } from './test-support';

const BASELINES: AlgorithmName[] = ['allreduce', 'dpsgd', 'adpsgd', 'sgp', 'osgp', 'gossip'];

describe('baselines in the simulator', () => {
  it.each(BASELINES)('%s converges on an IID problem without loss', (algorithm) => {
    const r = runSimulation(
      lsConfig({
        algorithm,
        settings: { lr: 0.1 },
        // Many samples per shard: the shards' own optima nearly coincide, so no tracking is needed.
        problem: { kind: 'least-squares', dim: 10, samplesPerPeer: 200, heterogeneity: 0 },
        network: { latency: 0.01, jitter: 0.005 },
        stop: { time: 20 },
      }),
    );
    expect(r.records[0].relErrorMax).toBeGreaterThan(0.5);
    expect(r.final.relErrorMax).toBeLessThan(1e-2);
    expect(r.final.steps).toBeGreaterThan(500);
    if (algorithm === 'gossip') {
      // Version age of information is recorded for gossip, and stays small with fanout ceil(ln n).
      expect(r.final.versionAge).toBeDefined();
      expect(r.final.versionAge?.mean).toBeLessThan(5);
      expect(r.peers[0].versionAge).toBeDefined();
    } else {
      expect(r.final.versionAge).toBeUndefined();
    }
  });

  it('on non-IID data with a constant step, R-FAST ends far closer to the optimum than D-PSGD, AD-PSGD and gossip', () => {
    const final = (algorithm: AlgorithmName): number =>
      runSimulation(lsConfig({ algorithm, settings: { lr: 0.1 }, network: { latency: 0.01, jitter: 0.005 }, stop: { time: 60 } })).final
        .relErrorMax;
    const rfast = final('rfast');
    expect(rfast).toBeLessThan(1e-4);
    for (const other of ['dpsgd', 'adpsgd', 'gossip'] as const) {
      const e = final(other);
      expect(e, other).toBeLessThan(1); // it did converge somewhere (to a biased point)
      expect(e, other).toBeGreaterThan(10 * rfast);
    }
  });

  it('a 5x straggler sets the pace of AllReduce, while R-FAST fast peers keep stepping', () => {
    const stepTime = 0.02;
    const run = (algorithm: AlgorithmName) =>
      runSimulation(
        lsConfig({
          algorithm,
          settings: { lr: 0.1 },
          network: { latency: 0.001, jitter: 0.0005 },
          compute: { stepTime, jitter: 0.05, slow: [{ peer: 5, factor: 5 }] },
          stop: { time: 10 },
        }),
      );
    const ar = run('allreduce');
    const perStep = ar.endTime / ar.peers[0].steps;
    expect(perStep).toBeGreaterThanOrEqual(4.5 * stepTime);
    expect(ar.peers[0].blockedTime).toBeGreaterThan(0.6 * ar.endTime);

    const rf = run('rfast');
    const slow = rf.peers[5].steps;
    for (const p of rf.peers) {
      if (p.id === 5) continue;
      expect(p.steps).toBeGreaterThan(4 * slow);
      expect(p.blockedTime).toBe(0);
    }
  });

  it('refuses a topology without a common root, with a message that says why', () => {
    // G_R a star rooted at 0, G_C a star into 1: each graph has a root, but not the same one.
    const build = (members: readonly number[]): Topology => ({
      kind: 'custom',
      members: members.slice(),
      rOut: new Map(members.map((m) => [m, m === 0 ? members.filter((k) => k !== 0) : []])),
      cOut: new Map(members.map((m) => [m, m === 1 ? [] : [1]])),
    });
    expect(() => runSimulation(lsConfig({ topology: { kind: 'custom', build } }))).toThrow(/no common root/);
  });
});
