/**
 * A silent neighbour (SimConfig.stallAfter): an AD-PSGD passive peer that takes requests and never
 * replies stopped its requesters until the next epoch, since the algorithm has no clock. With the
 * stall limit the runtime gives up the exchange, as the peer runtime's step loop does.
 */
import { createAlgorithm, type Algorithm, type AlgorithmName, type AlgorithmOptions } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { SimConfigError } from './errors';
import { runSimulation } from './simulator';
import { lsConfig } from './test-support';
import type { SimResult } from './types';

const SILENT = 3;

/** The honest algorithm, except that peer SILENT sends nothing at all (it still steps and mixes what it gets). */
function silentFactory(name: AlgorithmName, opts: AlgorithmOptions): Algorithm {
  const algo = createAlgorithm(name, opts);
  if (opts.id !== SILENT) return algo;
  return new Proxy(algo, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (key === 'beginStep' || key === 'applyGradient' || key === 'receive' || key === 'setEpoch') {
        return (...args: unknown[]) => {
          (v as (...a: unknown[]) => unknown).apply(target, args);
          return [];
        };
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function run(stallAfter: number | undefined): SimResult {
  return runSimulation(
    lsConfig({
      algorithm: 'adpsgd',
      settings: { lr: 0.1, robust: 'clip' },
      createAlgorithm: silentFactory,
      stallAfter,
      stop: { time: 10 },
      record: { interval: 1, perPeer: true },
    }),
  );
}

/** Steps of the peers that are not the silent one, fewest first. */
const honestSteps = (r: SimResult) =>
  r.peers
    .filter((p) => p.id !== SILENT)
    .map((p) => p.steps)
    .sort((a, b) => a - b);

describe('stallAfter', () => {
  it('without it, a silent passive peer stops its requesters for good; with it, they go on stepping', () => {
    const stuck = honestSteps(run(undefined));
    const going = honestSteps(run(0.2));
    // 10 s at 0.02 s a step is about 500 steps; a stuck requester stops at its first request to SILENT.
    expect(stuck[0]).toBeLessThan(50);
    expect(going[0]).toBeGreaterThan(150); // the clean run's requesters: about 200
  });

  it('refuses a stall limit that is not a positive number of seconds', () => {
    expect(() => run(0)).toThrow(SimConfigError);
    expect(() => run(Number.NaN)).toThrow(SimConfigError);
  });
});
