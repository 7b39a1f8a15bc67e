import { describe, expect, it } from 'vitest';
import { Rng, type PeerId } from '@starling/core';
import { ShapedUplink } from '@starling/transport';
import { DEFAULT_TUNING } from './config';
import { Mesh } from './mesh';
import { FAKE_WRTC, fakeCreatePeer, type FakePeer } from './webrtc.fixture';

const TIMEOUT_MS = 5000;
const EVERY_MS = 1000;

/** Peer 0's mesh with open links to peers 1 and 2 over fake WebRTC, on a clock the test moves. */
function openMesh() {
  const clock = { now: 0 };
  const peers: FakePeer[] = [];
  const lost: [PeerId, string][] = [];
  const mesh = new Mesh(0, {
    createPeer: fakeCreatePeer(peers),
    wrtc: FAKE_WRTC,
    tuning: DEFAULT_TUNING,
    rtcConfig: () => ({}),
    unreliableHighWaterBytes: 1 << 20,
    uplink: new ShapedUplink({ uplinkBytesPerSec: null, latencyMs: 0 }, DEFAULT_TUNING.uplinkBurstBytes),
    lossRng: new Rng(1),
    lossRate: () => 0,
  }, {
    signal: () => {},
    frame: () => {},
    linksChanged: () => {},
    neighbourLost: (id, reason) => lost.push([id, reason]),
    control: () => {},
    drain: () => {},
  }, () => clock.now);
  mesh.setNeighbours(1, [1, 2], [0, 1, 2]);
  for (const p of peers) p.open();
  /** Heartbeats on time (every EVERY_MS) until `until`. */
  const beatUntil = (until: number) => {
    while (clock.now + EVERY_MS <= until) {
      clock.now += EVERY_MS;
      mesh.heartbeat(TIMEOUT_MS, EVERY_MS);
    }
  };
  return { mesh, clock, lost, beatUntil };
}

describe('Mesh heartbeat time-outs', () => {
  it('drop a neighbour silent for longer than the time-out', () => {
    const { mesh, lost, beatUntil } = openMesh();
    beatUntil(TIMEOUT_MS);
    expect(lost).toEqual([]);
    beatUntil(TIMEOUT_MS + EVERY_MS);
    expect(lost).toEqual([[1, 'timed out'], [2, 'timed out']]);
    expect(mesh.isOpen(1)).toBe(false);
  });

  it('do not count a stall of this peer’s own thread as the neighbours’ silence', () => {
    const { mesh, clock, lost, beatUntil } = openMesh();
    beatUntil(2 * EVERY_MS);
    // The tab's thread held for 6 s: the next beat comes 5 s late, before the channels deliver
    // what the neighbours sent meanwhile.
    clock.now += 6 * EVERY_MS;
    mesh.heartbeat(TIMEOUT_MS, EVERY_MS);
    expect(lost).toEqual([]);
    expect(mesh.isOpen(1) && mesh.isOpen(2)).toBe(true);
    // Silent for real from here: heard last at 0, with 5 s of the 8 s since excused.
    beatUntil(10 * EVERY_MS);
    expect(lost).toEqual([]);
    beatUntil(11 * EVERY_MS);
    expect(lost.map(([id]) => id)).toEqual([1, 2]);
  });
});
