import { describe, expect, it } from 'vitest';
import { MsgKind, RFast, buildTopology, neighboursOf, type Algorithm, type Envelope, type Message } from '@starling/core';
import { encodeFrame } from '@starling/wire';
import { FrameRouter } from './frames';
import type { Mesh } from './mesh';

/** A stand-in for the mesh that records what each link was asked to send. */
function fakeMesh(open: number[]) {
  const sent: { to: number; reliable: boolean; bytes: Uint8Array; dropped: boolean }[] = [];
  const link = (to: number) => ({
    isOpen: true,
    sendReliable: (bytes: Uint8Array) => sent.push({ to, reliable: true, bytes, dropped: false }),
    sendUnreliable: (bytes: Uint8Array, drop: boolean) => {
      sent.push({ to, reliable: false, bytes, dropped: drop });
      return !drop;
    },
  });
  const mesh = { link: (id: number) => (open.includes(id) ? link(id) : undefined) } as unknown as Mesh;
  return { mesh, sent };
}

function fakeAlgo(received: Message[]): Algorithm {
  return { receive: (m: Message) => (received.push(m), []) } as unknown as Algorithm;
}

const msg = (over: Partial<Message> = {}): Message => ({
  kind: MsgKind.RfastV, from: 3, epoch: 1, seq: 5, block: 0, offset: 0, aux: 0, data: Float32Array.from([1, 2, 3]), ...over,
});

describe('frame router', () => {
  it('delivers a valid frame from the link it claims to come from', () => {
    const got: Message[] = [];
    const r = new FrameRouter(fakeMesh([]).mesh, () => fakeAlgo(got));
    r.receive(3, encodeFrame(msg()));
    expect(got).toHaveLength(1);
    expect(Array.from(got[0].data)).toEqual([1, 2, 3]);
  });

  it('counts a neighbour fresh for frames with a model block, not for its acknowledgements and pace frames', () => {
    const got: Message[] = [];
    const fresh: number[] = [];
    const r = new FrameRouter(fakeMesh([]).mesh, () => fakeAlgo(got));
    r.onData = (from) => fresh.push(from);
    r.receive(3, encodeFrame(msg({ kind: MsgKind.RfastPace, data: new Float32Array(0) })));
    r.receive(3, encodeFrame(msg({ kind: MsgKind.RfastAck, aux: MsgKind.RfastV, data: new Float32Array(0) })));
    expect(got).toHaveLength(2); // the algorithm still gets both
    expect(fresh).toEqual([]);
    r.receive(3, encodeFrame(msg()));
    expect(fresh).toEqual([3]);
  });

  it('rejects and counts a spoofed sender, garbage and non-finite payloads', () => {
    const got: Message[] = [];
    const reasons: string[] = [];
    const r = new FrameRouter(fakeMesh([]).mesh, () => fakeAlgo(got), (_from, why) => reasons.push(why));
    r.receive(4, encodeFrame(msg())); // claims 3, arrived from 4
    r.receive(3, new Uint8Array([1, 2, 3]));
    const nan = encodeFrame(msg());
    new Float32Array(nan.buffer, nan.byteLength - 12, 3)[1] = NaN;
    r.receive(3, nan);
    expect(got).toHaveLength(0);
    expect(r.counters.framesRejected).toBe(3);
    expect(reasons[0]).toMatch(/claims sender 3 but arrived from 4/);
  });

  it('routes hand-off frames to the hand-off handler, never to the algorithm', () => {
    const got: Message[] = [];
    const handoffs: Message[] = [];
    const r = new FrameRouter(fakeMesh([]).mesh, () => fakeAlgo(got));
    r.onHandoff = (m) => handoffs.push(m);
    r.receive(3, encodeFrame(msg({ kind: MsgKind.ModelHandoff })));
    expect(handoffs).toHaveLength(1);
    expect(got).toHaveLength(0);
  });

  it('encodes a block once for several neighbours and counts envelopes it cannot deliver', () => {
    const { mesh, sent } = fakeMesh([1, 2]);
    const r = new FrameRouter(mesh, () => null);
    const data = Float32Array.from([4, 5]);
    const out: Envelope[] = [1, 2, 7].map((to) => ({ to, reliable: false, msg: msg({ data }) }));
    r.send(out);
    expect(sent.map((s) => s.to)).toEqual([1, 2]);
    expect(sent[0].bytes).toBe(sent[1].bytes);
    expect(r.counters.undeliverable).toBe(1);
  });

  it('sends an R-FAST peer\'s slots while a link can take them, and again when it drains', () => {
    const t = buildTopology('ring', [0, 1]);
    const peer = new RFast({ id: 0, x0: new Float32Array(10), lr: 0.1, blockSize: 4, epoch: 0, neighbours: neighboursOf(t, 0), encoding: 'i8', paceMargin: 4 });
    const sent: Message[] = [];
    const reliable: number[] = [];
    let room = 1;
    const link = {
      isOpen: true,
      get takesSlot() {
        return room > 0;
      },
      sendReliable: (bytes: Uint8Array) => reliable.push(bytes[3]),
      sendUnreliable: (bytes: Uint8Array) => {
        room--;
        sent.push({ kind: bytes[3], block: new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true) } as Message);
        return true;
      },
    };
    const r = new FrameRouter({ link: () => link } as unknown as Mesh, () => peer);
    r.send(peer.beginStep());
    r.send(peer.applyGradient(Float32Array.from({ length: 10 }, (_, i) => i)));
    expect(sent).toHaveLength(1); // the link took one frame; the step did not wait for the others
    expect(reliable).toEqual([MsgKind.RfastPace]); // our step count, for the neighbour's pacing (paceMargin > 0)
    room = 10;
    r.pump(); // the link drained
    // 3 blocks x (v, running sum), each sent once, in rotation over the blocks
    expect(sent.map((m) => `${m.kind}:${m.block}`)).toEqual(['1:0', '2:0', '1:1', '2:1', '1:2', '2:2']);
    r.pump();
    expect(sent).toHaveLength(6); // nothing new since
  });

  it.each(['f16-i8', 'i4'] as const)('carries %s frames through the wire between two R-FAST peers: the receiver rebuilds exactly what was sent', (encoding) => {
    const t = buildTopology('ring', [0, 1]);
    // 9 coordinates in blocks of 4: the last block holds one value (an odd int4 payload)
    const mk = (id: number) => new RFast({ id, x0: Float32Array.from({ length: 9 }, (_, i) => i / 4 - 1), lr: 0.1, blockSize: 4, epoch: 0, neighbours: neighboursOf(t, id), encoding, robust: 'off' });
    const peers = [mk(0), mk(1)];
    const routers: FrameRouter[] = [];
    const linkTo = (from: number, to: number) => ({
      isOpen: true,
      takesSlot: true,
      sendReliable: (bytes: Uint8Array) => routers[to].receive(from, bytes.slice(), true),
      sendUnreliable: (bytes: Uint8Array) => (routers[to].receive(from, bytes.slice()), true),
    });
    for (const id of [0, 1]) routers.push(new FrameRouter({ link: (to: number) => linkTo(id, to) } as unknown as Mesh, () => peers[id]));
    for (let step = 0; step < 6; step++) {
      for (const id of [0, 1]) {
        routers[id].send(peers[id].beginStep());
        routers[id].send(peers[id].applyGradient(Float32Array.from({ length: 9 }, (_, i) => Math.sin(i + step + id))));
        routers[id].pump();
      }
    }
    for (const [a, b] of [[0, 1], [1, 0]]) {
      const sent = Array.from(peers[a].inspect().rho.get(b)!);
      expect(sent.filter((x) => x !== 0).length).toBeGreaterThan(4); // mass did move
      expect(Array.from(peers[b].inspect().rhoNew.get(a)!)).toEqual(sent);
      expect(peers[b].stats()).toMatchObject({ rejected: 0 });
    }
  });

  it('spreads backpressure skips over all blocks instead of starving the tail, and keeps reliable order', () => {
    const sentBlocks = new Set<number>();
    const reliableOrder: number[] = [];
    let budget = 0;
    const link = {
      isOpen: true,
      sendReliable: (bytes: Uint8Array) => reliableOrder.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true)),
      sendUnreliable: (bytes: Uint8Array) => {
        if (budget-- <= 0) return false; // the channel is full: this one is skipped
        sentBlocks.add(new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true));
        return true;
      },
    };
    const mesh = { link: () => link } as unknown as Mesh;
    const r = new FrameRouter(mesh, () => null);
    for (let step = 0; step < 10; step++) {
      budget = 2; // room for only 2 of the 5 blocks per step
      const out: Envelope[] = [0, 1, 2, 3, 4].map((block) => ({ to: 1, reliable: false, msg: msg({ block, offset: block * 3, seq: step }) }));
      out.push({ to: 1, reliable: true, msg: msg({ block: 7, seq: step }) }, { to: 1, reliable: true, msg: msg({ block: 8, seq: step }) });
      r.send(out);
    }
    expect([...sentBlocks].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(reliableOrder).toEqual(Array.from({ length: 10 }, () => [7, 8]).flat());
  });
});
