/**
 * Test-only fixture: one R-FAST peer with a fixed neighbourhood, and message builders.
 * Peer 5 pulls from 1 and 2, is pulled by 3, receives mass from 2 and 4, pushes to 1 and 3.
 * dim 5 in blocks of 2: [0,2) [2,4) [4,5).
 */
import { MsgKind, type Envelope, type Message, type PeerId, type PeerNeighbours } from './contract';
import { RFast } from './rfast';
import type { RfastEncodingName } from './rfast-config';
import type { KernelChoice } from './rfast-simd';
import { takeSlots } from './rfast.test-driver';

export const SELF: PeerId = 5;
export const DIM = 5;
export const BLOCK = 2;
export const LR = 0.1;
export const X0 = Float32Array.from([1, -2, 3, 0.5, -1]);
export const NB: PeerNeighbours = {
  rIn: [1, 2],
  rOut: [3],
  cIn: [2, 4],
  cOut: [1, 3],
  undirected: [1, 2, 3],
  members: [1, 2, 3, 4, 5],
};

/** Both kernel implementations: the fixture's tests run once with each. */
export const KERNEL_KINDS = ['js', 'simd'] as const;

/** The spec's uniform column weights: a push moves d/(d+1) of z (d = 2 out-neighbours on G_C). */
export const SPEC_SHARE = NB.cOut.length / (NB.cOut.length + 1);

/**
 * Robust mixing off and the spec's push share: these tests check the spec's exact step and receive
 * rules (robust mixing has its own, robust-clip.test.ts and sim attacks.test.ts; the share its own
 * test in rfast.step.test.ts).
 */
export function peer(naive = false, epoch = 0, kernels: KernelChoice = 'js', encoding: RfastEncodingName = 'f32', pushShare = SPEC_SHARE, sendShare?: number): RFast {
  return new RFast({ id: SELF, x0: X0, lr: LR, blockSize: BLOCK, epoch, neighbours: NB, naive, kernels, encoding, robust: 'off', pushShare, sendShare });
}

/** Every pending slot, taken now (steps 5-6: the push happens here), payloads copied. */
export function sendAll(p: RFast): Envelope[] {
  return takeSlots(p.slots);
}

/** The block starting at `offset`, e.g. block(1) covers coordinates 2 and 3. */
export function blockOffset(block: number): number {
  return block * BLOCK;
}

export function vMsg(from: PeerId, block: number, values: number[], seq = 1, epoch = 0): Message {
  return { kind: MsgKind.RfastV, from, epoch, seq, block, offset: blockOffset(block), aux: 0, data: Float32Array.from(values) };
}

export function rhoMsg(from: PeerId, block: number, values: number[], seq = 1, epoch = 0): Message {
  return { kind: MsgKind.RfastRho, from, epoch, seq, block, offset: blockOffset(block), aux: 0, data: Float64Array.from(values) };
}

/** All blocks of a full vector, as messages of one kind. */
export function wholeVector(make: typeof vMsg, from: PeerId, values: number[], seq = 1, epoch = 0): Message[] {
  const out: Message[] = [];
  for (let b = 0; b * BLOCK < values.length; b++) out.push(make(from, b, values.slice(b * BLOCK, (b + 1) * BLOCK), seq, epoch));
  return out;
}

/** A deep copy of everything observable, to show a message changed nothing. */
export function snapshot(p: RFast): unknown {
  const s = p.inspect();
  const maps = (m: ReadonlyMap<PeerId, Float64Array>): [PeerId, number[]][] => [...m].map(([k, v]) => [k, Array.from(v)]);
  return {
    x: Array.from(s.x),
    v: Array.from(s.v),
    z: Array.from(s.z),
    g: Array.from(s.g),
    rho: maps(s.rho),
    rhoNew: maps(s.rhoNew),
    rhoTilde: maps(s.rhoTilde),
    seq: s.seq,
    epoch: s.epoch,
  };
}

/** Runs one full step with gradient `grad`, sends every slot, and returns the parameters it was taken at. */
export function fullStep(p: RFast, grad: number[]): Float32Array {
  p.beginStep();
  const at = p.params().slice();
  p.applyGradient(Float32Array.from(grad));
  sendAll(p);
  return at;
}
