/**
 * Independent seeded streams per purpose and peer, so adding a draw in one place (say, one more
 * network message) does not shift the random numbers seen anywhere else.
 */
import { Rng } from '@starling/core';

/** Stream identifiers; fixed numbers so results stay stable when streams are added. */
export const Stream = {
  network: 1,
  compute: 2,
  minibatch: 3,
  algorithm: 4,
  problem: 5,
} as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

/** 32-bit mix of (seed, stream, index) (murmur3 finaliser), so nearby inputs give unrelated seeds. */
export function deriveSeed(seed: number, stream: number, index = 0): number {
  let h = (seed ^ Math.imul(stream, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function streamRng(seed: number, stream: Stream, index = 0): Rng {
  return new Rng(deriveSeed(seed, stream, index));
}
