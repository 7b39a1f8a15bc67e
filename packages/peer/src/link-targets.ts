import { algorithmDescriptor, type AlgorithmName, type PeerId, type PeerNeighbours } from '@starling/core';

/**
 * Which peers need a WebRTC link, as the algorithm's descriptor says: graph algorithms talk only to
 * their graph neighbours; the ring all-reduce, push-sum's rotating exponential graph and gossip's
 * random targets range over all members, so they get a full mesh (fine at browser-run sizes; the
 * simulator covers large n); an algorithm without communication links to no one.
 */
export function linkTargets(algorithm: AlgorithmName, self: PeerId, nb: PeerNeighbours): Set<PeerId> {
  const out = new Set<PeerId>();
  switch (algorithmDescriptor(algorithm).links) {
    case 'graph':
      for (const list of [nb.rIn, nb.rOut, nb.cIn, nb.cOut, nb.undirected]) for (const id of list) out.add(id);
      break;
    case 'members':
      for (const id of nb.members) out.add(id);
      break;
    case 'none':
      break;
  }
  out.delete(self);
  return out;
}
