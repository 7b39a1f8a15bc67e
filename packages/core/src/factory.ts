import type { Algorithm, AlgorithmName, CommonOptions } from './contract';
import { ConfigError } from './errors';
import type { KernelChoice } from './rfast-simd';
import { RFast } from './rfast';
import { AllReduceSgd } from './allreduce';
import { Dpsgd } from './dpsgd';
import { AdPsgd } from './adpsgd';
import { PushSum } from './pushsum';
import { GossipSgd } from './gossip';

/** Options for any algorithm; fields an algorithm does not use are ignored. */
export interface AlgorithmOptions extends CommonOptions {
  /** OSGP: steps it may run without receiving before it blocks. */
  tau?: number;
  /** Gossip local SGD: local steps per version (H). */
  localSteps?: number;
  /** Gossip local SGD: peers pushed to after each version; default ceil(fanoutC * ln n). */
  fanout?: number;
  /** Gossip local SGD: c in ceil(c ln n) when `fanout` is not given. */
  fanoutC?: number;
  /** R-FAST: WebAssembly SIMD or plain JavaScript kernels (same values); default 'auto'. */
  kernels?: KernelChoice;
}

export const ALGORITHMS: readonly AlgorithmName[] = [
  'rfast', 'rfast-naive', 'allreduce', 'dpsgd', 'adpsgd', 'sgp', 'osgp', 'gossip',
];

/** One entry point for every runtime: the browser peer, the Node peer and the simulator. */
export function createAlgorithm(name: AlgorithmName, opts: AlgorithmOptions): Algorithm {
  if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new ConfigError(`lr must be a positive number, got ${opts.lr}`);
  switch (name) {
    case 'rfast':
      return new RFast(opts);
    case 'rfast-naive':
      return new RFast({ ...opts, naive: true });
    case 'allreduce':
      return new AllReduceSgd(opts);
    case 'dpsgd':
      return new Dpsgd(opts);
    case 'adpsgd':
      return new AdPsgd(opts);
    case 'sgp':
      return new PushSum({ ...opts, tau: 0 });
    case 'osgp':
      return new PushSum({ ...opts, tau: opts.tau ?? 4 });
    case 'gossip':
      return new GossipSgd(opts);
    default:
      throw new ConfigError(`unknown algorithm '${String(name)}'; expected one of ${ALGORITHMS.join(', ')}`);
  }
}
