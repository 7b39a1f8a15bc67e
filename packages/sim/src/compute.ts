/**
 * How long one gradient takes on each peer, in virtual seconds:
 *
 *   stepTime * slowFactor(peer) * U(1 - jitter, 1 + jitter)  [+ pause]
 *
 * where a pause (a tab in the background, a laptop lid closed) happens with probability
 * `pauseProbability` per step and lasts U(0.5, 1.5) * pauseDuration. Every peer draws from its own
 * seeded stream, so one peer's pauses never shift another peer's timings.
 */
import type { PeerId, Rng } from '@starling/core';
import { SIM_DEFAULTS } from './config';
import { SimConfigError, requireFinite } from './errors';
import { Stream, streamRng } from './seeds';

export interface Straggler {
  peer: PeerId;
  /** This peer's steps take `factor` times the base step time (5 = five times slower). */
  factor: number;
}

export interface ComputeModel {
  /** Base time of one gradient computation, seconds (> 0). */
  stepTime: number;
  /** Relative jitter of a step's time, in [0, 1). */
  jitter: number;
  /** Peers slower than the rest. */
  slow: Straggler[];
  /** Chance per step that the peer pauses before finishing, in [0, 1]. */
  pauseProbability: number;
  /** Mean pause length, seconds. */
  pauseDuration: number;
}

export class ComputeTimes {
  private readonly model: ComputeModel;
  private readonly factor = new Map<PeerId, number>();
  private readonly rngs = new Map<PeerId, Rng>();

  constructor(config: Partial<ComputeModel>, private readonly seed: number) {
    this.model = { ...SIM_DEFAULTS.compute, ...config, slow: config.slow ?? [] };
    const m = this.model;
    if (!(m.stepTime > 0) || !Number.isFinite(m.stepTime)) {
      throw new SimConfigError(`compute.stepTime must be a positive number of seconds, got ${m.stepTime}`);
    }
    requireFinite('compute.jitter', m.jitter, 0, 0.999);
    requireFinite('compute.pauseProbability', m.pauseProbability, 0, 1);
    requireFinite('compute.pauseDuration', m.pauseDuration, 0);
    for (const s of m.slow) {
      if (!(s.factor > 0) || !Number.isFinite(s.factor)) {
        throw new SimConfigError(`compute.slow: factor for peer ${s.peer} must be a positive number, got ${s.factor}`);
      }
      this.factor.set(s.peer, s.factor);
    }
  }

  get stepTime(): number {
    return this.model.stepTime;
  }

  /** Virtual duration of `peer`'s next gradient. */
  next(peer: PeerId): number {
    const m = this.model;
    let rng = this.rngs.get(peer);
    if (rng === undefined) {
      rng = streamRng(this.seed, Stream.compute, peer);
      this.rngs.set(peer, rng);
    }
    let t = m.stepTime * (this.factor.get(peer) ?? 1);
    if (m.jitter > 0) t *= 1 - m.jitter + 2 * m.jitter * rng.next();
    if (m.pauseProbability > 0 && rng.next() < m.pauseProbability) {
      t += m.pauseDuration * (0.5 + rng.next());
    }
    return t;
  }
}
