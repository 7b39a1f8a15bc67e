/**
 * Section 1.4: the tracker mass is conserved exactly under loss, duplication, reordering and
 * block-wise delivery, and a lost running sum is only a delayed one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RFAST_ENCODING_NAMES } from './rfast-config';
import { lossyCases, lossyRun, massImbalance } from './rfast.test-driver';

describe('R-FAST mass conservation (section 1.4)', () => {
  // Cases draw every encoding (whole float64 sums and the compact deltas, whose rounding residual
  // the sender keeps in z) and sends both right after each step and lazily, mid-step (push at send time).
  it('holds to float64 round-off after every event under loss, duplication and reordering', () => {
    fc.assert(
      fc.property(
        lossyCases({ maxDim: 6, maxBlock: 7, maxLoss: 0.7, maxDuplicate: 0.4 }),
        (c) => {
          const net = lossyRun(c);
          for (let e = 1; e <= 400; e++) {
            net.event();
            const err = massImbalance(net.peers);
            if (!(err < 1e-10)) throw new Error(`mass imbalance ${err} after event ${e}`);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('a lost running sum is only delayed: once loss stops, receivers hold exactly what was sent', () => {
    const ids = [1, 4, 6, 9, 12, 15];
    const cases = [...RFAST_ENCODING_NAMES.map((encoding) => ({ encoding, naive: false })), { encoding: 'f32' as const, naive: true }];
    for (const { encoding, naive } of cases) {
      const net = lossyRun({ seed: 11, ids, dim: 5, blockSize: 2, loss: 0.3, duplicate: 0.2, kind: 'exponential', naive, encoding, sendRate: 0.3 });
      for (let e = 0; e < 3000; e++) net.event();
      net.opts.loss = 0;
      net.opts.duplicate = 0;
      while (net.inFlight > 0) net.deliverOne(); // acknowledgements still in flight arrive
      for (const id of ids) net.step(id); // one more step and send of every running sum, all delivered
      for (const id of ids) net.send(id, Infinity);
      while (net.inFlight > 0) net.deliverOne();

      let gap = 0;
      let size = 0;
      for (const [j, peer] of net.peers) {
        for (const [k, sent] of peer.inspect().rho) {
          const held = net.peers.get(k)!.inspect().rhoNew.get(j)!;
          for (let t = 0; t < sent.length; t++) {
            gap = Math.max(gap, Math.abs(sent[t] - held[t]));
            size = Math.max(size, Math.abs(sent[t]));
          }
        }
      }
      if (naive) expect(gap / size, encoding).toBeGreaterThan(1e-2); // increments that were lost are gone for good
      else expect(gap, encoding).toBe(0);
    }
  });
});
