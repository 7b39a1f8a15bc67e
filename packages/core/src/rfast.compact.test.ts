/**
 * Compact frames between two real peers (docs/algorithms.md 1.7): deltas against an acknowledged
 * base, the keep / acknowledge handshake, and refusal of malformed compact frames.
 */
import { describe, expect, it } from 'vitest';
import { Dtype, MsgKind, type Envelope, type Message } from './contract';
import { RFast } from './rfast';
import { RFAST_DEFAULTS, type RfastEncodingName } from './rfast-config';
import { buildTopology, neighboursOf } from './topology';
import { takeSlots } from './rfast.test-driver';

const DIM = 6;
const BLOCK = 4;

/** Robust mixing off: these tests are about the encoding, and the mass audit holds back tracker mass from a receiver that has not stepped yet. */
function pair(encoding: RfastEncodingName): [RFast, RFast] {
  const t = buildTopology('ring', [0, 1]);
  const mk = (id: number) => new RFast({ id, x0: Float32Array.from([1, -2, 3, 0.5, -1, 2]), lr: 0.1, blockSize: BLOCK, epoch: 0, neighbours: neighboursOf(t, id), encoding, kernels: 'js', robust: 'off' });
  return [mk(0), mk(1)];
}

/** One step of `p` with gradient g and every slot sent; returns the frames (copied). */
function stepAndSend(p: RFast, g: number[]): Envelope[] {
  p.beginStep();
  p.applyGradient(Float32Array.from(g));
  return takeSlots(p.slots);
}

function deliver(to: RFast, envs: Envelope[]): Envelope[] {
  return envs.flatMap((e) => to.receive(e.msg));
}

const G = [0.5, -0.25, 1, 2, -3, 0.125];

describe('R-FAST compact frames', () => {
  it('a base serves candidateGapSteps steps before the next keep, so a link that keeps up is not half acknowledgements', () => {
    const [a, b] = pair('f16-i8');
    const gap = RFAST_DEFAULTS.candidateGapSteps;
    expect(gap).toBeGreaterThan(1);
    let keeps = 0;
    let frames = 0;
    const steps = 10 * gap;
    for (let s = 0; s < steps; s++) {
      const sent = stepAndSend(a, G.map((x) => x * Math.cos(s)));
      frames += sent.length;
      keeps += sent.filter((e) => e.msg.keep === true).length;
      deliver(a, deliver(b, sent)); // every frame arrives, every ack comes back
      expect(Array.from(b.inspect().rhoNew.get(0)!)).toEqual(Array.from(a.inspect().rho.get(1)!));
    }
    // 2 kinds x 2 blocks per step; each (kind, block) proposes on its first step and then every gap steps.
    expect(frames).toBe(4 * steps);
    expect(keeps).toBe(4 * Math.ceil(steps / gap));
    expect(b.stats()).toMatchObject({ rejected: 0 });
  });

  it('i8: running sums and v travel as int8 deltas with a per-block scale, and the receiver rebuilds exactly what the sender holds', () => {
    const [a, b] = pair('i8');
    const frames = stepAndSend(a, G);
    const kinds = frames.map((e) => [e.msg.kind, e.msg.data.constructor.name, e.msg.base, e.msg.keep]);
    expect(kinds).toEqual([
      [MsgKind.RfastV, 'Int8Array', 0, true],
      [MsgKind.RfastRho, 'Int8Array', 0, true],
      [MsgKind.RfastV, 'Int8Array', 0, true],
      [MsgKind.RfastRho, 'Int8Array', 0, true],
    ]);
    const acks = deliver(b, frames);
    // every frame asked to be kept: one reliable ack each, naming its kind and seq
    expect(acks.map((e) => [e.reliable, e.msg.kind, e.msg.aux, e.msg.seq])).toEqual(frames.map((f) => [true, MsgKind.RfastAck, f.msg.kind, f.msg.seq]));
    expect(Array.from(b.inspect().rhoNew.get(0)!)).toEqual(Array.from(a.inspect().rho.get(1)!));
    expect(b.stats()).toMatchObject({ rejected: 0, stale: 0 });

    // after the acks, the sender's next deltas build on the kept frames
    deliver(a, acks);
    expect(a.stats()).toMatchObject({ rejected: 0, stale: 0 });
    const next = stepAndSend(a, G.map((x) => x * 2));
    expect(next.map((e) => e.msg.base)).toEqual(frames.map((f) => f.msg.seq));
    deliver(b, next);
    expect(Array.from(b.inspect().rhoNew.get(0)!)).toEqual(Array.from(a.inspect().rho.get(1)!));
    expect(b.stats()).toMatchObject({ rejected: 0, stale: 0 });
  });

  it('f16-i8: v as float16 codes (dtype and scale in the frame), sums as int8', () => {
    const [a] = pair('f16-i8');
    const [v, rho] = stepAndSend(a, G);
    expect(v.msg).toMatchObject({ kind: MsgKind.RfastV, dtype: Dtype.F16, base: 0, keep: true });
    expect(v.msg.data).toBeInstanceOf(Uint16Array);
    expect(Math.log2(v.msg.scale!) % 1 === 0).toBe(true);
    expect(rho.msg.data).toBeInstanceOf(Int8Array);
  });

  it('i4: v and sums as packed int4 codes (two per byte, an odd block rounded up), rebuilt exactly on both sides', () => {
    const t = buildTopology('ring', [0, 1]);
    // 5 coordinates in blocks of 4: the second block holds one code in one byte
    const mk = (id: number) => new RFast({ id, x0: Float32Array.from([1, -2, 3, 0.5, -1]), lr: 0.1, blockSize: BLOCK, epoch: 0, neighbours: neighboursOf(t, id), encoding: 'i4', kernels: 'js', robust: 'off' });
    const [a, b] = [mk(0), mk(1)];
    const g = [0.5, -0.25, 1, 2, -3];
    const frames = stepAndSend(a, g);
    expect(frames.map((e) => [e.msg.kind, e.msg.dtype, e.msg.data.constructor.name, e.msg.data.length])).toEqual([
      [MsgKind.RfastV, Dtype.I4, 'Uint8Array', 2],
      [MsgKind.RfastRho, Dtype.I4, 'Uint8Array', 2],
      [MsgKind.RfastV, Dtype.I4, 'Uint8Array', 1],
      [MsgKind.RfastRho, Dtype.I4, 'Uint8Array', 1],
    ]);
    deliver(a, deliver(b, frames));
    expect(Array.from(b.inspect().rhoNew.get(0)!)).toEqual(Array.from(a.inspect().rho.get(1)!));
    for (let k = 0; k < 6; k++) deliver(a, deliver(b, stepAndSend(a, g.map((x) => x * (k + 2)))));
    expect(Array.from(b.inspect().rhoNew.get(0)!)).toEqual(Array.from(a.inspect().rho.get(1)!));
    expect(b.stats()).toMatchObject({ rejected: 0, stale: 0 });
    expect(a.stats()).toMatchObject({ rejected: 0, stale: 0 });
  });

  it('a frame on a base the receiver does not hold is dropped as stale, and changes nothing', () => {
    const [a, b] = pair('i8');
    const frames = stepAndSend(a, G);
    const orphan = { ...frames[1].msg, base: frames[1].msg.seq + 10 }; // base >= seq: malformed
    expect(b.receive(orphan)).toEqual([]);
    expect(b.stats().rejected).toBe(1);
    const unknown = { ...frames[1].msg, seq: 50, base: 3 }; // a base that was never acknowledged
    const before = JSON.stringify(Array.from(b.inspect().rhoNew.get(0)!));
    expect(b.receive(unknown)).toEqual([]);
    expect(b.stats().stale).toBe(1);
    expect(JSON.stringify(Array.from(b.inspect().rhoNew.get(0)!))).toBe(before);
  });

  it('a late, older keep frame does not replace a newer candidate', () => {
    const [a, b] = pair('i8');
    const first = stepAndSend(a, G); // kept candidates, acks never delivered to a
    // a proposes again only after candidateRetrySends sends without an ack
    const later: Envelope[] = [];
    for (let i = 0; i < 12; i++) later.push(...stepAndSend(a, G));
    const newer = later.find((e) => e.msg.kind === MsgKind.RfastRho && e.msg.keep)!;
    expect(newer).toBeDefined();
    expect(deliver(b, [newer])).toHaveLength(1);
    const old = first.find((e) => e.msg.kind === MsgKind.RfastRho && e.msg.block === newer.msg.block)!;
    expect(deliver(b, [old])).toEqual([]); // older: neither newest nor a newer candidate
    expect(b.stats().stale).toBe(1);
  });

  const frame = (over: Partial<Message>): Message => ({ kind: MsgKind.RfastRho, from: 0, epoch: 0, seq: 9, block: 0, offset: 0, aux: 0, base: 0, scale: 0.5, data: Int8Array.from([1, 2, 3, 4]), ...over });
  const bad: [string, Partial<Message>][] = [
    ['int8 without a scale', { scale: undefined }],
    ['a zero scale', { scale: 0 }],
    ['a NaN scale', { scale: NaN }],
    ['an infinite scale', { scale: Infinity }],
    ['a scale that is no float32', { scale: 0.1 }],
    ['int8 sent whole (no base)', { base: undefined }],
    ['a fractional base', { base: 0.5 }],
    ['a negative base', { base: -1 }],
    ['a float16 payload without its dtype', { data: Uint16Array.from([0, 0, 0, 0]) }],
    ['a float16 infinity', { dtype: Dtype.F16, data: Uint16Array.from([0x7c00, 0, 0, 0]) }],
    ['a bfloat16 NaN', { dtype: Dtype.BF16, data: Uint16Array.from([0x7fc0, 0, 0, 0]) }],
    ['a dtype that contradicts the payload', { dtype: Dtype.F32 }],
    ['int4 codes without their dtype', { data: Uint8Array.from([0x11, 0x11]) }],
    ['int4 codes of the wrong length for the block', { dtype: Dtype.I4, data: Uint8Array.from([0x11, 0x11, 0x11]) }],
    ['int8 codes that claim to be int4', { dtype: Dtype.I4 }],
    ['keep that is not a boolean', { keep: 1 as unknown as boolean }],
    ['a float32 delta with a scale', { data: Float32Array.from([1, 2, 3, 4]), scale: 2 }],
    ['an ack with a payload', { kind: MsgKind.RfastAck, aux: MsgKind.RfastRho, base: undefined, scale: undefined, data: Float32Array.from([1]) }],
    ['an ack for an unknown kind', { kind: MsgKind.RfastAck, aux: MsgKind.DpsgdModel, base: undefined, scale: undefined, data: new Float32Array(0) }],
  ];
  it.each(bad)('rejects %s, counted, nothing changed', (_, over) => {
    const [, b] = pair('i8');
    const before = JSON.stringify(Array.from(b.inspect().rhoNew.get(0)!));
    expect(b.receive(frame(over))).toEqual([]);
    expect(b.stats()).toMatchObject({ rejected: 1, stale: 0 });
    expect(JSON.stringify(Array.from(b.inspect().rhoNew.get(0)!))).toBe(before);
  });

  it('the rejection checks can see a valid frame: the same frame with good fields is taken', () => {
    const [, b] = pair('i8');
    b.receive(frame({}));
    expect(b.stats()).toMatchObject({ rejected: 0, stale: 0 });
    expect(Array.from(b.inspect().rhoNew.get(0)!.subarray(0, 4))).toEqual([0.5, 1, 1.5, 2]);
    b.receive(frame({ seq: 10, dtype: Dtype.I4, data: Uint8Array.from([0x21, 0xf7]) }));
    expect(b.stats()).toMatchObject({ rejected: 0, stale: 0 });
    expect(Array.from(b.inspect().rhoNew.get(0)!.subarray(0, 4))).toEqual([0.5, 1, 3.5, -0.5]);
  });

  it('reports the mass pushed and not yet acknowledged (compact encodings only)', () => {
    const [a, b] = pair('i8');
    expect(a.transitEstimate()).toEqual({ transit: 0, gradient: 0 });
    const frames = stepAndSend(a, G);
    const sent = a.transitEstimate()!;
    expect(sent.gradient).toBeCloseTo(G.reduce((s, g) => s + Math.abs(g), 0), 6);
    expect(sent.transit).toBeGreaterThan(0);
    deliver(a, deliver(b, frames));
    expect(a.transitEstimate()!.transit).toBe(0);
    expect(pair('f32')[0].transitEstimate()).toBeNull();
  });
});
