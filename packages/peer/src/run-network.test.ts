import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildTopology, neighboursOf, type Algorithm, type PeerId, type PeerNeighbours } from '@starling/core';
import { parseRunConfig } from '@starling/protocol';
import { DEFAULT_TUNING } from './config';
import { RunNetwork } from './run-network';
import { FAKE_WRTC, fakeCreatePeer, type FakePeer } from './webrtc.fixture';

/** Peer 0's network in epoch 1 of an R-FAST run, over fake WebRTC peers (pushed to `peers`). */
function peerZero(neighbours: PeerNeighbours, members: PeerId[], peers: FakePeer[]): RunNetwork {
  return new RunNetwork({
    peerId: 0,
    config: parseRunConfig({ algorithm: 'rfast', topology: { kind: 'exponential' } }),
    placement: { epoch: 1, grows: 0, neighbours, members },
    tuning: DEFAULT_TUNING,
    createPeer: fakeCreatePeer(peers),
    wrtc: FAKE_WRTC,
    uploadCap: null,
    rtcConfig: () => ({}),
    lossRate: () => 0,
    steps: () => 0,
    signal: () => {},
    changed: () => {},
  }, () => Date.now());
}

describe('RunNetwork tells the algorithm which links are open', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('on attach, on every link that opens and on every link that closes', () => {
    const members = [0, 1, 2, 3, 4, 5, 6, 7];
    const neighbours = neighboursOf(buildTopology('exponential', members), 0);
    const peers: FakePeer[] = [];
    const network = peerZero(neighbours, members, peers);
    const told: PeerId[][] = [];
    const algo = { linksOpen: (open: ReadonlySet<PeerId>) => told.push([...open].sort((a, b) => a - b)) } as unknown as Algorithm;
    const linked = new Set([...neighbours.rOut, ...neighbours.rIn, ...neighbours.cOut, ...neighbours.cIn]);
    expect(peers.length).toBe(linked.size); // one link per neighbour on either graph, none open yet

    network.attach({ algo, wake: () => {}, control: () => {} });
    expect(told.at(-1)).toEqual([]);
    for (const p of peers) p.open();
    expect(told.at(-1)).toEqual([...linked].sort((a, b) => a - b));
    // A link that drops: the algorithm stops pushing along it at once.
    peers[0].emit('close');
    expect(told.at(-1)!.length).toBe(linked.size - 1);
    network.close();
  });
});

describe('RunNetwork follows grows within the epoch', () => {
  it('a grow that names a departed neighbour: its link closes, it leaves the member list, the peer linked instead gets a link', () => {
    const members = [0, 1, 2, 3, 4, 5, 6, 7];
    const neighbours = neighboursOf(buildTopology('exponential', members), 0);
    const peers: FakePeer[] = [];
    const network = peerZero(neighbours, members, peers);
    for (const p of peers) p.open();
    const gone = neighbours.cOut[0];
    const instead = members.find((m) => m !== 0 && !neighbours.undirected.includes(m))!;
    const drop = (list: readonly PeerId[]) => [...list.filter((q) => q !== gone), instead].sort((a, b) => a - b);
    const lists = { rIn: drop(neighbours.rIn), rOut: drop(neighbours.rOut), cIn: drop(neighbours.cIn), cOut: drop(neighbours.cOut), undirected: drop(neighbours.undirected) };
    const p = network.onGrow({ epoch: 1, seq: 1, neighbours: lists, added: [instead], removed: [gone] });
    if (p === null || p === 'gap') throw new Error(`placement expected, got ${String(p)}`);
    expect(p.members).toEqual(members.filter((m) => m !== gone));
    expect(p.grows).toBe(1);
    network.follow(p);
    expect(network.mesh.isOpen(gone)).toBe(false);
    expect(network.mesh.link(gone)).toBeUndefined();
    expect(network.mesh.link(instead)).toBeDefined();
    expect(network.onGrow({ epoch: 1, seq: 1, neighbours: lists, added: [instead], removed: [gone] })).toBeNull(); // applied already
    network.close();
  });
});
