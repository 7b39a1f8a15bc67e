/**
 * What one R-FAST peer pays per step without the gradient, split the way the spec splits it:
 * steps 1-6 (beginStep + applyGradient) and the receive handler for one step's worth of messages
 * (every block of v and of the running sum from each of `degree` in-neighbours, as a peer gets
 * when its neighbours step at its pace). One peer alone, so the figures are its own:
 * - warm: nothing else runs between steps, the peer's state stays in cache;
 * - cold: 64 MiB are written between steps, so the state comes from memory, as after a
 *   gradient computation that used the cache for itself.
 */
import { MsgKind, RFast, Rng, type KernelChoice } from '@starling/core';
import { median } from './stats';
import { takeAll } from './step-cost';

export interface PeerCostCase {
  dim: number;
  degree: number;
  blockSize: number;
  kernels: Exclude<KernelChoice, 'auto'>;
  cold: boolean;
  steps: number;
}

export interface PeerCost {
  /** Medians in milliseconds. */
  stepMs: number;
  receiveMs: number;
  /** Median of the per-step sum. */
  totalMs: number;
}

const FLUSH_BYTES = 64 << 20;

export function measurePeerCost(c: PeerCostCase): PeerCost {
  const ids = Array.from({ length: c.degree }, (_, i) => i + 1);
  const neighbours = { rIn: ids, rOut: ids, cIn: ids, cOut: ids, undirected: ids, members: [0, ...ids] };
  const p = new RFast({ id: 0, x0: new Float32Array(c.dim), lr: 1e-3, blockSize: c.blockSize, epoch: 0, neighbours, kernels: c.kernels });
  const rng = new Rng(5);
  const grad = new Float32Array(c.dim);
  for (let i = 0; i < c.dim; i++) grad[i] = 1e-3 * rng.normal();
  // Each neighbour's blocks, as the wire would deliver them: separate buffers per message.
  const blocks = Math.ceil(c.dim / c.blockSize);
  const size = (b: number): number => Math.min(c.blockSize, c.dim - b * c.blockSize);
  const vData = ids.map(() => Array.from({ length: blocks }, (_, b) => new Float32Array(size(b)).fill(0.5)));
  const rhoData = ids.map(() => Array.from({ length: blocks }, (_, b) => new Float64Array(size(b))));
  const flush = c.cold ? new Float64Array(FLUSH_BYTES / 8) : null;
  const step: number[] = [];
  const receive: number[] = [];
  const total: number[] = [];
  const warmup = Math.min(20, Math.floor(c.steps / 4));
  for (let s = 1; s <= c.steps + warmup; s++) {
    // The running sums grow every step, as real ones do; prepared outside the timed region.
    for (const perBlock of rhoData) for (const d of perBlock) d.fill(1e-3 * s);
    flush?.fill(s);
    const t0 = performance.now();
    for (let j = 0; j < ids.length; j++) {
      for (let b = 0; b < blocks; b++) {
        const offset = b * c.blockSize;
        p.receive({ kind: MsgKind.RfastV, from: ids[j], epoch: 0, seq: s, block: b, offset, aux: 0, data: vData[j][b] });
        p.receive({ kind: MsgKind.RfastRho, from: ids[j], epoch: 0, seq: s, block: b, offset, aux: 0, data: rhoData[j][b] });
      }
    }
    const t1 = performance.now();
    p.beginStep();
    p.params();
    p.applyGradient(grad);
    takeAll(p.slots); // steps 5-6: every link takes every slot (push, encode)
    const t2 = performance.now();
    if (s > warmup) {
      receive.push(t1 - t0);
      step.push(t2 - t1);
      total.push(t2 - t0);
    }
  }
  if (p.stats().rejected > 0) throw new Error('the benchmark sent messages the peer refused');
  return { stepMs: median(step), receiveMs: median(receive), totalMs: median(total) };
}
