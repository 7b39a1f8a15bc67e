/**
 * Solo: every peer trains alone on its own shard with plain SGD, x -= lr * g, and sends nothing.
 * The floor of every comparison: an algorithm that communicates has to beat what its peers reach
 * without talking to each other.
 */
import { defineAlgorithm, type AlgoStats, type Algorithm, type AlgorithmOptions, type Envelope, type PeerId, type PeerNeighbours } from './contract';
import { allFinite } from './blocks';
import { ConfigError } from './errors';

const NONE: Envelope[] = [];

export class Solo implements Algorithm {
  readonly name = 'solo' as const;
  readonly id: PeerId;
  readonly dim: number;
  private readonly lr: number;
  private readonly x: Float32Array;
  private readonly counters: AlgoStats = { steps: 0, messagesIn: 0, rejected: 0, stale: 0 };

  constructor(opts: AlgorithmOptions) {
    if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new ConfigError(`lr must be a positive number, got ${opts.lr}`);
    if (!(opts.x0 instanceof Float32Array) || opts.x0.length === 0 || !allFinite(opts.x0)) {
      throw new ConfigError('x0 must be a non-empty Float32Array of finite values');
    }
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.x = opts.x0.slice();
  }

  ready(): boolean {
    return true;
  }

  beginStep(): Envelope[] {
    return NONE;
  }

  params(): Float32Array {
    return this.x;
  }

  applyGradient(grad: Float32Array): Envelope[] {
    if (grad.length !== this.dim) throw new ConfigError(`gradient has ${grad.length} entries, the model has ${this.dim}`);
    if (!allFinite(grad)) throw new ConfigError(`peer ${this.id}: gradient holds NaN or Infinity (diverging? lower lr)`);
    const { x, lr } = this;
    for (let t = 0; t < x.length; t++) x[t] -= lr * grad[t];
    this.counters.steps++;
    return NONE;
  }

  /** Nobody sends to a solo peer; anything that arrives is refused and counted. */
  receive(): Envelope[] {
    this.counters.messagesIn++;
    this.counters.rejected++;
    return NONE;
  }

  model(): Float32Array {
    return this.x;
  }

  setEpoch(_epoch: number, _neighbours: PeerNeighbours): Envelope[] {
    return NONE;
  }

  loadModel(x: Float32Array): void {
    if (x.length !== this.dim) throw new ConfigError(`model has ${x.length} entries, expected ${this.dim}`);
    if (!allFinite(x)) throw new ConfigError('model to load holds NaN or Infinity');
    this.x.set(x);
  }

  stats(): AlgoStats {
    return { ...this.counters };
  }
}

/**
 * Default step: the other SGD-based algorithms' 0.3 (a single worker's rate on the built-in MNIST
 * MLP at batch 32); the benchmark's grid tunes it like every other algorithm's.
 */
export const SOLO_DESCRIPTOR = defineAlgorithm({
  name: 'solo',
  label: 'Solo (no communication)',
  defaultLr: 0.3,
  links: 'none',
  kinds: [],
  options: {},
  create: (opts) => new Solo(opts),
});
