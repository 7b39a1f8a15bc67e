/**
 * Synthetic data shards shared by the built-in problems. Peer i's features are
 * a = mu_i + s_i * N(0, I) and its ground-truth model is w_i = w + h * N(0, I), with
 * mu_i = h/sqrt(dim) * N(0, I) (so ||mu_i|| ~ h) and s_i = exp(h/4 * N(0, 1)). The feature shifts are kept moderate so the
 * pooled problem stays well conditioned (its optimum is then reachable to float32 precision) while
 * each shard's own optimum is far from the pooled one. h = 0 makes every shard IID; h > 0 gives each
 * peer its own distribution and its own optimum, which is where gradient tracking matters.
 * Each peer draws from its own stream, so shard i is the same whatever the number of peers.
 */
import type { PeerId, Rng } from '@starling/core';
import { Stream, streamRng } from './seeds';

export interface Shard {
  /** Features, row-major (samples x dim). */
  a: Float64Array;
  /** The peer's ground-truth model. */
  w: Float64Array;
  /** Per-peer stream for the labels, after features and model were drawn. */
  rng: Rng;
}

/** Common ground truth: N(0, 1) + 1 per coordinate, so ||w|| is never close to zero. */
export function commonModel(dim: number, seed: number): Float64Array {
  const rng = streamRng(seed, Stream.problem, 0);
  const w = new Float64Array(dim);
  for (let j = 0; j < dim; j++) w[j] = 1 + rng.normal();
  return w;
}

export function makeShard(peer: PeerId, dim: number, samples: number, h: number, common: Float64Array, seed: number): Shard {
  const rng = streamRng(seed, Stream.problem, peer + 1);
  const mu = new Float64Array(dim);
  const shift = h / Math.sqrt(dim);
  for (let j = 0; j < dim; j++) mu[j] = shift * rng.normal();
  const scale = Math.exp(0.25 * h * rng.normal());
  const w = new Float64Array(dim);
  for (let j = 0; j < dim; j++) w[j] = common[j] + h * rng.normal();
  const a = new Float64Array(samples * dim);
  for (let r = 0; r < samples; r++) {
    for (let j = 0; j < dim; j++) a[r * dim + j] = mu[j] + scale * rng.normal();
  }
  return { a, w, rng };
}

/** Cache key of a member set. */
export function membersKey(members: readonly PeerId[]): string {
  return members.join(',');
}
