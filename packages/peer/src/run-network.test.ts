import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildTopology, neighboursOf, type Algorithm, type PeerId } from '@starling/core';
import { parseRunConfig } from '@starling/protocol';
import { DEFAULT_TUNING } from './config';
import { RunNetwork } from './run-network';
import { FAKE_WRTC, fakeCreatePeer, type FakePeer } from './webrtc.fixture';

describe('RunNetwork tells the algorithm which links are open', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('on attach, on every link that opens and on every link that closes', () => {
    const members = [0, 1, 2, 3, 4, 5, 6, 7];
    const neighbours = neighboursOf(buildTopology('exponential', members), 0);
    const peers: FakePeer[] = [];
    const network = new RunNetwork({
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
