/**
 * Built-in test problems with a known optimum. Each peer id owns one data shard f_i; the goal over a
 * set of live members M is F(x) = (1/|M|) sum_{i in M} f_i(x). Optima are computed in float64 so the
 * simulator can report how far the float32 models are from the exact answer.
 */
import type { PeerId, Rng } from '@starling/core';
import { SimConfigError } from './errors';
import { LeastSquares } from './least-squares';
import { Logistic } from './logistic';

export interface ProblemSpec {
  kind: 'least-squares' | 'logistic';
  /** Number of model parameters. */
  dim: number;
  /** Data points in each peer's shard. */
  samplesPerPeer: number;
  /**
   * 0 = IID: every shard comes from the same distribution. Larger values give each peer its own
   * feature mean/scale and its own ground-truth model (1 is strongly non-IID).
   */
  heterogeneity?: number;
  /** Minibatch size for stochastic gradients; 0 or absent = exact full-batch gradients. */
  batchSize?: number;
  /** Least squares: standard deviation of the label noise. */
  noise?: number;
  /** Logistic regression: L2 coefficient (keeps the optimum finite and unique). */
  l2?: number;
  /** Seed of the data; defaults to the simulation seed. */
  seed?: number;
}

/** F over one member set, with its exact optimum. */
export interface MemberObjective {
  readonly optimum: Float64Array;
  readonly optimalValue: number;
  /** F(x), computed in float64. */
  value(x: ArrayLike<number>): number;
}

export interface Problem {
  readonly spec: Readonly<ProblemSpec>;
  readonly dim: number;
  /** Shards exist for peer ids 0..peers-1. */
  readonly peers: number;
  /** Starting model, the same for every peer. */
  readonly x0: Float32Array;
  /** Writes g_i(x) into `out` (a minibatch gradient drawn with `rng` when the problem is stochastic). */
  gradient(peer: PeerId, x: Float32Array, out: Float32Array, rng: Rng): void;
  /** F and its optimum for `members` (ascending ids); cached per member set. */
  objective(members: readonly PeerId[]): MemberObjective;
}

/**
 * A problem whose gradient may be asynchronous (a real ML framework, e.g. TF.js); runs with
 * `runSimulationAsync`. Every `Problem` is one. A problem without a known optimum may report NaN
 * for the optimum and the objective: records then carry NaN errors and gaps, the rest stays exact.
 */
export interface AsyncProblem extends Omit<Problem, 'gradient' | 'spec'> {
  /** Writes g_i(x) into `out`; when it returns a Promise, the simulator awaits it before the next event. */
  gradient(peer: PeerId, x: Float32Array, out: Float32Array, rng: Rng): void | Promise<void>;
}

export function createProblem(spec: ProblemSpec, peers: number, seed: number): Problem {
  if (!Number.isInteger(spec.dim) || spec.dim <= 0) throw new SimConfigError(`problem.dim must be a positive integer, got ${spec.dim}`);
  if (!Number.isInteger(spec.samplesPerPeer) || spec.samplesPerPeer <= 0) {
    throw new SimConfigError(`problem.samplesPerPeer must be a positive integer, got ${spec.samplesPerPeer}`);
  }
  const batch = spec.batchSize ?? 0;
  if (!Number.isInteger(batch) || batch < 0) throw new SimConfigError(`problem.batchSize must be an integer >= 0, got ${batch}`);
  if (!((spec.heterogeneity ?? 0) >= 0)) throw new SimConfigError(`problem.heterogeneity must be >= 0, got ${spec.heterogeneity}`);
  switch (spec.kind) {
    case 'least-squares':
      return new LeastSquares(spec, peers, spec.seed ?? seed);
    case 'logistic':
      return new Logistic(spec, peers, spec.seed ?? seed);
    default:
      throw new SimConfigError(`unknown problem kind '${String((spec as ProblemSpec).kind)}'; expected least-squares or logistic`);
  }
}
