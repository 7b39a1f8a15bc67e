/**
 * R-FAST's refusal of tracker mass (MassLinks.audit) on a block whose gradient is almost exactly 0:
 * our own ||z|| + ||g|| there says nothing about what an honest sender may bring, so the model
 * block's norm sets the floor (ROBUST_DEFAULTS.massRefuseModelShare). Found in e2e: an honest tab
 * ejected for refused running sums on MNIST's border-pixel block.
 */
import { describe, expect, it } from 'vitest';
import { RFast } from './rfast';
import { BLOCK, KERNEL_KINDS, LR, NB, SELF, SPEC_SHARE, X0, rhoMsg, sendAll } from './rfast.fixture';
import type { KernelChoice } from './rfast-simd';
import { ROBUST_DEFAULTS } from './robust-config';

const EPOCH = 1;
/** Block 0 (coordinates 0, 1) barely has a gradient; the others have an ordinary one. */
const SPARSE_GRAD = Float32Array.from([1e-9, 0, 0.5, -0.3, 0.2]);

function robustPeer(kernels: KernelChoice): RFast {
  const p = new RFast({ id: SELF, x0: X0, lr: LR, blockSize: BLOCK, epoch: EPOCH, neighbours: NB, kernels, encoding: 'f32', robust: 'clip', pushShare: SPEC_SHARE });
  p.beginStep();
  p.applyGradient(SPARSE_GRAD);
  sendAll(p);
  return p;
}

const blockNorm = Math.hypot(X0[0], X0[1]);

describe.each(KERNEL_KINDS)('R-FAST mass refusal on a block without gradient (%s kernels)', (kernels) => {
  it('takes an honest-sized increment (1e-3 of a block of norm 2.2) though our own scale there is 1e-9', () => {
    const p = robustPeer(kernels);
    expect(1e-3 / 1e-9).toBeGreaterThan(ROBUST_DEFAULTS.massRefuseFactor); // the old rule refused it
    p.receive(rhoMsg(2, 0, [1e-3, 0], 3, EPOCH));
    p.receive(rhoMsg(4, 0, [0, -1e-3], 3, EPOCH));
    expect(p.senderEvidence().get(2)?.magnitude ?? 0).toBe(0);
    expect(p.senderEvidence().get(4)?.magnitude ?? 0).toBe(0);
    expect(p.stats().rejected).toBe(0);
  });

  it('still refuses new mass beyond the block’s own model norm, and charges the sender', () => {
    const p = robustPeer(kernels);
    const zBefore = Array.from(p.inspect().z);
    const wild = 2 * blockNorm * ROBUST_DEFAULTS.massRefuseFactor * ROBUST_DEFAULTS.massRefuseModelShare;
    p.receive(rhoMsg(2, 0, [wild, 0], 3, EPOCH));
    expect(p.senderEvidence().get(2)).toMatchObject({ magnitude: 1 });
    p.beginStep(); // a refused sum is undone: nothing of it reaches z
    expect(Array.from(p.inspect().z).slice(0, BLOCK)).toEqual(zBefore.slice(0, BLOCK));
  });
});
