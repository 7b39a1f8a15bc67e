import type { DashPeer, DashPeersPayload } from './types';

/** Builders for dashboard tests: a peer row with sensible defaults, and a peers payload. */
export function peer(id: number, over: Partial<DashPeer> = {}): DashPeer {
  return {
    id,
    state: 'live',
    backend: 'wasm',
    shard: id % 8,
    epoch: 1,
    steps: 0,
    samples: 0,
    loss: null,
    accuracy: null,
    stepsPerSec: 10,
    neighbours: 2,
    framesLost: 0,
    framesRejected: 0,
    lastSeen: 0,
    joinedAt: 0,
    flags: [],
    ...over,
  };
}

export function payload(at: number, peers: DashPeer[], epoch = 1): DashPeersPayload {
  return { at, epoch, peers };
}
