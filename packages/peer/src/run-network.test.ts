import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildTopology, neighboursOf, type Algorithm, type PeerId } from '@starling/core';
import { parseRunConfig } from '@starling/protocol';
import { DEFAULT_TUNING, RELIABLE_CHANNEL_ID, UNRELIABLE_CHANNEL_ID } from './config';
import { RunNetwork } from './run-network';
import type { CreatePeer, RtcPeer } from './webrtc-transport';

/** Just enough of a data channel and of simple-peer to open and close links by hand. */
class FakeChannel {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'blob';
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  send(): void {}
  close(): void {}
}
class FakePc {
  channels = new Map<number, FakeChannel>();
  createDataChannel(_label: string, init: { id: number }): FakeChannel {
    const ch = new FakeChannel();
    this.channels.set(init.id, ch);
    return ch;
  }
}
class FakePeer implements RtcPeer {
  pc!: FakePc;
  private handlers = new Map<string, ((...a: unknown[]) => void)[]>();
  signal(): void {}
  destroy(): void {}
  on(event: string, cb: (...a: never[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), cb as (...a: unknown[]) => void]);
    return this;
  }
  emit(event: string): void {
    for (const cb of this.handlers.get(event) ?? []) cb();
  }
  /** The connection and both channels are up. */
  open(): void {
    this.emit('connect');
    this.pc.channels.get(RELIABLE_CHANNEL_ID)!.onopen!();
    this.pc.channels.get(UNRELIABLE_CHANNEL_ID)!.onopen!();
  }
}

describe('RunNetwork tells the algorithm which links are open', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('on attach, on every link that opens and on every link that closes', () => {
    const members = [0, 1, 2, 3, 4, 5, 6, 7];
    const neighbours = neighboursOf(buildTopology('exponential', members), 0);
    const peers: FakePeer[] = [];
    const createPeer: CreatePeer = (opts) => {
      const p = new FakePeer();
      p.pc = new (opts.wrtc.RTCPeerConnection as new () => FakePc)();
      peers.push(p);
      return p;
    };
    const network = new RunNetwork({
      peerId: 0,
      config: parseRunConfig({ algorithm: 'rfast', topology: { kind: 'exponential' } }),
      placement: { epoch: 1, grows: 0, neighbours, members },
      tuning: DEFAULT_TUNING,
      createPeer,
      wrtc: { RTCPeerConnection: FakePc, RTCSessionDescription: null, RTCIceCandidate: null },
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
