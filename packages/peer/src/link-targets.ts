import type { AlgorithmName, PeerId, PeerNeighbours } from '@starling/core';

/**
 * Which peers need a WebRTC link. Graph algorithms talk only to their graph neighbours; the ring
 * all-reduce, push-sum's rotating exponential graph and gossip's random targets range over all
 * members, so they get a full mesh (fine at browser-run sizes; the simulator covers large n).
 */
export function linkTargets(algorithm: AlgorithmName, self: PeerId, nb: PeerNeighbours): Set<PeerId> {
  const out = new Set<PeerId>();
  switch (algorithm) {
    case 'rfast':
    case 'rfast-naive':
    case 'dpsgd':
    case 'adpsgd':
      for (const list of [nb.rIn, nb.rOut, nb.cIn, nb.cOut, nb.undirected]) for (const id of list) out.add(id);
      break;
    default:
      for (const id of nb.members) out.add(id);
  }
  out.delete(self);
  return out;
}
