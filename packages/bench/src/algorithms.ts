/** The algorithms the comparison runs, their labels, and how each is built in the simulator. */
import { createAlgorithm, type Algorithm, type AlgorithmName, type AlgorithmOptions } from '@starling/core';
import type { AlgorithmSettings } from '@starling/sim';
import { BENCH_CONFIG } from './config';
import { BenchError } from './errors';
import { RotatingSends } from './rotating-sends';

/**
 * 'rfast' is core's R-FAST with its messages sent in the order core returns them (blocks in
 * order); 'rfast-rot' is the same algorithm with each step's sends starting at a random block (see
 * rotating-sends.ts), as the peer runtime rotates its unreliable frames.
 */
export type BenchAlgorithm = 'rfast' | 'rfast-rot' | 'allreduce' | 'dpsgd' | 'adpsgd' | 'osgp' | 'gossip';

export const BENCH_ALGORITHMS: readonly BenchAlgorithm[] = ['rfast', 'rfast-rot', 'allreduce', 'dpsgd', 'adpsgd', 'osgp', 'gossip'];

export const ALGORITHM_LABEL: Record<BenchAlgorithm, string> = {
  rfast: 'R-FAST',
  'rfast-rot': 'R-FAST (rotating sends)',
  allreduce: 'AllReduce SGD',
  dpsgd: 'D-PSGD',
  adpsgd: 'AD-PSGD',
  osgp: 'OSGP',
  gossip: 'Gossip local SGD',
};

/** The core algorithm each one runs. */
export function coreName(a: BenchAlgorithm): AlgorithmName {
  return a === 'rfast-rot' ? 'rfast' : a;
}

export function parseAlgorithm(name: string): BenchAlgorithm {
  const a = BENCH_ALGORITHMS.find((x) => x === name);
  if (a === undefined) throw new BenchError(`unknown algorithm '${name}'; expected one of ${BENCH_ALGORITHMS.join(', ')}`);
  return a;
}

/** Simulator settings of one algorithm at step size `lr`. */
export function algorithmSettings(a: BenchAlgorithm, lr: number): AlgorithmSettings {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new BenchError(`${a}: lr must be a positive number, got ${lr}`);
  const s: AlgorithmSettings = { lr, blockSize: BENCH_CONFIG.blockSize };
  if (a === 'osgp') s.tau = BENCH_CONFIG.osgpTau;
  if (a === 'gossip') {
    s.localSteps = BENCH_CONFIG.gossipLocalSteps;
    s.fanoutC = BENCH_CONFIG.gossipFanoutC;
  }
  return s;
}

/** The simulator's algorithm factory for `a`; undefined means core's own. */
export function algorithmFactory(a: BenchAlgorithm): ((name: AlgorithmName, opts: AlgorithmOptions) => Algorithm) | undefined {
  if (a !== 'rfast-rot') return undefined;
  return (name, opts) => new RotatingSends(createAlgorithm(name, opts), (opts.seed ?? 0) ^ 0x5bd1e995);
}
