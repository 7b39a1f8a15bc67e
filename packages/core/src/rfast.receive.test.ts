/** The receive handler: newest-wins per (sender, kind, block), and refusal of anything malformed. */
import { describe, expect, it } from 'vitest';
import { MsgKind, type Message } from './contract';
import type { RFast } from './rfast';
import { KERNEL_KINDS, fullStep, peer, rhoMsg, snapshot, vMsg } from './rfast.fixture';
import type { KernelChoice } from './rfast-simd';

const EPOCH = 2;
const G0 = [1, 2, 3, 4, 5];

/** A peer at EPOCH that has taken its first step. */
function started(kernels: KernelChoice): RFast {
  const p = peer(false, EPOCH, kernels);
  fullStep(p, G0);
  return p;
}

/** Both peers run steps 1-3; equal parameters mean equal pulled copies (vhat is not inspectable). */
function sameAfterStep(a: RFast, b: RFast): boolean {
  a.beginStep();
  b.beginStep();
  return JSON.stringify([Array.from(a.params()), snapshot(a)]) === JSON.stringify([Array.from(b.params()), snapshot(b)]);
}

const goodV = vMsg(1, 0, [0.5, 0.25], 7, EPOCH);
const goodRho = rhoMsg(2, 1, [0.5, 0.25], 7, EPOCH);
const bad: [string, Message][] = [
  ['V too short', { ...goodV, data: Float32Array.from([1]) }],
  ['V too long for the last block', { ...goodV, block: 2, offset: 4 }],
  ['offset not at the block start', { ...goodV, offset: 1 }],
  ['block past the end', { ...goodV, block: 3, offset: 6, data: Float32Array.from([1]) }],
  ['negative block', { ...goodV, block: -1, offset: -2 }],
  ['fractional block', { ...goodV, block: 0.5, offset: 1 }],
  ['NaN in V', { ...goodV, data: Float32Array.from([NaN, 1]) }],
  ['Infinity in RHO', { ...goodRho, data: Float64Array.from([Infinity, 1]) }],
  ['-Infinity in RHO', { ...goodRho, data: Float64Array.from([1, -Infinity]) }],
  ['V from an unknown peer', { ...goodV, from: 9 }],
  ['V from a G_C-only neighbour', { ...goodV, from: 4 }],
  ['RHO from a G_R-only neighbour', { ...goodRho, from: 1 }],
  ['RHO from an out-neighbour', { ...goodRho, from: 3 }],
  ['V from itself', { ...goodV, from: 5 }],
  ['fractional epoch', { ...goodV, epoch: EPOCH + 0.5 }],
  ['V as float64', { ...goodV, data: Float64Array.from([1, 2]) }],
  ['RHO as float32', { ...goodRho, data: Float32Array.from([1, 2]) }],
  ['unknown kind', { ...goodV, kind: 99 as MsgKind }],
  ['another algorithm’s kind', { ...goodV, kind: MsgKind.DpsgdModel }],
  ['naive increment to a robust peer', { ...goodRho, kind: MsgKind.NaiveDelta }],
  ['negative seq', { ...goodV, seq: -1 }],
  ['fractional seq', { ...goodV, seq: 1.5 }],
  ['NaN seq', { ...goodRho, seq: NaN }],
  ['plain array data', { ...goodV, data: [1, 2] as unknown as Float32Array }],
  ['null', null as unknown as Message],
];

describe.each(KERNEL_KINDS)('R-FAST receive (%s kernels)', (kernels) => {
  it.each(bad)('rejects %s: counted, state untouched', (_, msg) => {
    const p = started(kernels);
    const twin = started(kernels);
    const before = snapshot(p);
    expect(p.receive(msg)).toEqual([]);
    expect(p.stats()).toMatchObject({ messagesIn: 1, rejected: 1, stale: 0 });
    expect(snapshot(p)).toEqual(before);
    expect(sameAfterStep(p, twin)).toBe(true);
  });

  it.each([
    ['older', EPOCH - 1],
    ['newer', EPOCH + 1],
  ])('drops a frame of an %s epoch as stale (frames cross every membership change), state untouched', (_, epoch) => {
    const p = started(kernels);
    const twin = started(kernels);
    const before = snapshot(p);
    p.receive({ ...goodV, epoch });
    p.receive({ ...goodRho, epoch });
    expect(p.stats()).toMatchObject({ messagesIn: 2, rejected: 0, stale: 2 });
    expect(snapshot(p)).toEqual(before);
    expect(sameAfterStep(p, twin)).toBe(true);
  });

  it('the untouched-state check can see a change: valid messages are taken', () => {
    for (const good of [goodV, goodRho]) {
      const p = started(kernels);
      p.receive(good);
      expect(p.stats()).toMatchObject({ messagesIn: 1, rejected: 0, stale: 0 });
      expect(sameAfterStep(p, started(kernels))).toBe(false);
    }
  });

  it('keeps only the newest V per (sender, block); blocks and senders are independent', () => {
    const p = started(kernels);
    const twin = started(kernels);
    p.receive(vMsg(1, 0, [1, 1], 5, EPOCH));
    p.receive(vMsg(1, 0, [2, 2], 3, EPOCH)); // older, arrives late
    p.receive(vMsg(1, 0, [3, 3], 5, EPOCH)); // same seq again: not newer
    p.receive(vMsg(1, 1, [4, 4], 2, EPOCH)); // other block, lower seq: independent
    p.receive(vMsg(2, 0, [5, 5], 1, EPOCH)); // other sender: independent
    expect(p.stats()).toMatchObject({ messagesIn: 5, stale: 2, rejected: 0 });
    for (const m of [vMsg(1, 0, [1, 1], 5, EPOCH), vMsg(1, 1, [4, 4], 2, EPOCH), vMsg(2, 0, [5, 5], 1, EPOCH)]) twin.receive(m);
    expect(sameAfterStep(p, twin)).toBe(true);
  });

  it('never adds a running sum on arrival: duplicates and late copies are consumed once', () => {
    const p = started(kernels);
    const zAt = (t: number): number => p.inspect().z[t];
    const z2 = zAt(2);
    p.receive(rhoMsg(2, 1, [0.5, -0.25], 4, EPOCH));
    p.receive(rhoMsg(2, 1, [9, 9], 2, EPOCH)); // older running sum: stale
    p.receive(rhoMsg(2, 1, [0.5, -0.25], 4, EPOCH)); // duplicate
    expect(zAt(2)).toBe(z2); // nothing added on arrival
    p.beginStep();
    expect(zAt(2)).toBe(z2 + 0.5);
    p.applyGradient(Float32Array.from(G0));
    const z2b = zAt(2);
    p.receive(rhoMsg(2, 1, [0.5, -0.25], 4, EPOCH)); // yet another copy after consumption
    p.beginStep();
    expect(zAt(2)).toBe(z2b);
    p.applyGradient(Float32Array.from(G0));
    const z2c = zAt(2);
    p.receive(rhoMsg(2, 1, [1.5, -0.25], 6, EPOCH)); // the sum grew by 1: only the growth is new mass
    p.beginStep();
    expect(zAt(2)).toBe(z2c + 1);
    expect(p.stats()).toMatchObject({ stale: 3, rejected: 0 });
  });
});

describe.each(KERNEL_KINDS)('R-FAST receive, finite but hostile frames (%s kernels)', (kernels) => {
  const allFiniteNum = (a: ArrayLike<number>): boolean => Array.from(a).every(Number.isFinite);

  it('counts a newer model frame identical to the sender’s previous one as frozen (a replay), and a changed one not', () => {
    const p = started(kernels);
    p.receive(vMsg(1, 0, [0.5, 0.25], 7, EPOCH));
    p.receive(vMsg(1, 0, [0.5, 0.25], 8, EPOCH)); // same block, newer seq: frozen
    p.receive(vMsg(1, 0, [0.5, 0.25], 8, EPOCH)); // a duplicate is stale, not frozen
    p.receive(vMsg(1, 0, [0.5, 0.26], 9, EPOCH)); // moved: honest news
    p.receive(vMsg(1, 1, [0.5, 0.26], 10, EPOCH)); // another block's first frame
    expect(p.senderEvidence().get(1)).toMatchObject({ frames: 4, frozen: 1, clipped: 0 });
  });

  it('refuses a running sum of 1e300 before any arithmetic: x stays finite, the sender is charged', () => {
    const p = started(kernels);
    const twin = started(kernels);
    p.receive(rhoMsg(2, 1, [1e300, 1e300], 8, EPOCH));
    expect(p.stats()).toMatchObject({ messagesIn: 1, rejected: 1 });
    expect(p.senderEvidence().get(2)).toMatchObject({ frames: 1, magnitude: 1 });
    expect(sameAfterStep(p, twin)).toBe(true);
    expect(allFiniteNum(p.params())).toBe(true);
    expect(allFiniteNum(p.inspect().z)).toBe(true);
  });

  it('does not mix in a v of 1e30', () => {
    const p = started(kernels);
    const twin = started(kernels);
    p.receive(vMsg(1, 0, [1e30, -1e30], 8, EPOCH));
    expect(p.senderEvidence().get(1)).toMatchObject({ magnitude: 1 });
    expect(sameAfterStep(p, twin)).toBe(true);
    expect(Math.max(...Array.from(p.params(), Math.abs))).toBeLessThan(10);
  });

  it('refuses a seq jump of 2^32 - 1 after honest frames; later honest frames are still news', () => {
    const p = started(kernels);
    const twin = started(kernels);
    p.receive(vMsg(1, 0, [1, 1], 5, EPOCH));
    p.receive(vMsg(1, 0, [7, 7], 4294967295, EPOCH)); // the jump: refused
    p.receive(vMsg(1, 0, [2, 2], 9, EPOCH)); // honest and newer: taken
    p.receive(rhoMsg(2, 1, [0.5, 0.5], 3, EPOCH));
    p.receive(rhoMsg(2, 1, [9, 9], 4294967295, EPOCH));
    p.receive(rhoMsg(2, 1, [1, 1], 4, EPOCH));
    expect(p.stats()).toMatchObject({ messagesIn: 6, rejected: 2, stale: 0 });
    expect(p.senderEvidence().get(1)).toMatchObject({ frames: 3, seqJumps: 1 });
    // Running sums cannot be clipped, so only the refused one counts as judged.
    expect(p.senderEvidence().get(2)).toMatchObject({ frames: 1, seqJumps: 1 });
    for (const m of [vMsg(1, 0, [2, 2], 9, EPOCH), rhoMsg(2, 1, [1, 1], 4, EPOCH)]) twin.receive(m);
    expect(sameAfterStep(p, twin)).toBe(true);
  });

  it('a wild first frame (seq 2^32 - 1) does not make the honest frames after it stale for good', () => {
    const p = started(kernels);
    const twin = started(kernels);
    p.receive(vMsg(1, 0, [7, 7], 4294967295, EPOCH)); // nothing held yet: taken as the first frame
    p.receive(vMsg(1, 0, [2, 2], 9, EPOCH)); // far below the held seq: the held one was the jump
    p.receive(vMsg(1, 0, [3, 3], 10, EPOCH));
    p.receive(vMsg(1, 0, [4, 4], 8, EPOCH)); // an ordinary late frame: stale
    expect(p.stats()).toMatchObject({ messagesIn: 4, rejected: 0, stale: 1 });
    twin.receive(vMsg(1, 0, [3, 3], 10, EPOCH));
    expect(sameAfterStep(p, twin)).toBe(true);
  });

  it('the naive variant bounds its increments too', () => {
    const p = peer(true, EPOCH, kernels);
    fullStep(p, G0);
    p.receive({ ...rhoMsg(2, 1, [1e300, 1], 8, EPOCH), kind: MsgKind.NaiveDelta });
    p.beginStep();
    expect(allFiniteNum(p.params())).toBe(true);
    expect(p.senderEvidence().get(2)).toMatchObject({ magnitude: 1 });
  });
});
