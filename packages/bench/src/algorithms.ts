/** The algorithms the comparison runs, their labels, and how each is built in the simulator. */
import { algorithmDescriptor, type AlgorithmName } from '@starling/core';
import type { AlgorithmSettings } from '@starling/sim';
import { BENCH_CONFIG } from './config';
import { BenchError } from './errors';

/**
 * Every algorithm of the registry that a volunteer run can use (rfast-naive and sgp are left out:
 * a variant that loses mass, and OSGP with tau = 0), plus 'rfast-f32': R-FAST with its original
 * frames (v float32, running sums float64, whole), to show what the compact frames change.
 */
export type BenchAlgorithm = 'rfast' | 'rfast-f32' | 'allreduce' | 'dpsgd' | 'adpsgd' | 'osgp' | 'gossip' | 'solo';

export const BENCH_ALGORITHMS: readonly BenchAlgorithm[] = ['rfast', 'rfast-f32', 'allreduce', 'dpsgd', 'adpsgd', 'osgp', 'gossip', 'solo'];

/** The core algorithm each one runs. */
export function coreName(a: BenchAlgorithm): AlgorithmName {
  return a === 'rfast-f32' ? 'rfast' : a;
}

export function algorithmLabel(a: BenchAlgorithm): string {
  return a === 'rfast-f32' ? 'R-FAST (f32 frames)' : algorithmDescriptor(a).label;
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
  if (a === 'rfast') s.encoding = BENCH_CONFIG.rfastEncoding;
  if (a === 'rfast-f32') s.encoding = 'f32';
  if (a === 'osgp') s.tau = BENCH_CONFIG.osgpTau;
  if (a === 'gossip') {
    s.localSteps = BENCH_CONFIG.gossipLocalSteps;
    s.fanoutC = BENCH_CONFIG.gossipFanoutC;
  }
  return s;
}
