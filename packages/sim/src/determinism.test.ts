/** Same config and seed => the same run, bit for bit, with real core algorithms and every source of randomness on. */
import type { AlgorithmName } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { runSimulation } from './simulator';
import { lsConfig } from './test-support';
import type { SimConfig } from './types';

function noisy(algorithm: AlgorithmName, seed: number): SimConfig {
  return lsConfig({
    algorithm,
    settings: { lr: 0.05 },
    problem: { kind: 'least-squares', dim: 10, samplesPerPeer: 20, heterogeneity: 1, batchSize: 4 },
    network: { latency: 0.01, jitter: 0.03, loss: 0.2, duplicate: 0.1, bandwidth: 1e5 },
    compute: { stepTime: 0.02, jitter: 0.3, pauseProbability: 0.01, pauseDuration: 0.2 },
    membership: [{ time: 3, leave: [2] }, { time: 5, join: [2] }],
    stop: { time: 8 },
    record: { interval: 0.5, perPeer: true },
    seed,
  });
}

describe('determinism', () => {
  it.each<AlgorithmName>(['rfast', 'gossip', 'adpsgd'])('%s: same seed gives identical results, another seed differs', (algorithm) => {
    const a = runSimulation(noisy(algorithm, 7));
    const b = runSimulation(noisy(algorithm, 7));
    expect(b).toEqual(a);
    expect(b.records.length).toBeGreaterThan(10);
    const c = runSimulation(noisy(algorithm, 8));
    expect(c.totals).not.toEqual(a.totals);
    expect(c.final.relErrorMean).not.toBe(a.final.relErrorMean);
  });
});
