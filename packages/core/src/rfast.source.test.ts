/**
 * A peer whose tracker in-neighbours never send (a "source" on G_C): the members it pulls from and
 * receives mass from joined the run but never opened a link. Seen in real tabs (e2e/peer-flags):
 * the exponential graph over four members, two of them scripts, leaves tab 0 pushing mass to tab 1
 * and to a dead link while nothing ever comes back, and tab 1 pushing nowhere. With nothing coming
 * in, a source's z is only its own high-passed gradient, z <- C_ii (z + g(x_new) - g(x)), which
 * each push shrinks; if pushes wait for a link that carries fewer frames than there are steps
 * (push at send time), z grows between pushes by about (1 + lr |lambda|) per step along the
 * negative curvature of a non-convex loss, and x runs away (losses 1e8-1e16 in CI). A peer with
 * no incoming mass must push every step, as the spec does.
 */
import { describe, expect, it } from 'vitest';
import type { Envelope, Message, PeerId } from './contract';
import { RFast } from './rfast';
import type { RfastEncodingName } from './rfast-config';
import { Rng } from './rng';
import { buildTopology, neighboursOf } from './topology';

/** A ReLU net 8 -> 16 -> 4 with softmax cross-entropy on Gaussian clusters: small and non-convex. */
const IN = 8;
const HID = 16;
const OUT = 4;
const DIM = IN * HID + HID + HID * OUT + OUT;
const W2 = IN * HID + HID;
const B2 = W2 + HID * OUT;
const BATCH = 8;

interface Data {
  x: Float64Array;
  y: Int32Array;
}

function makeData(rng: Rng, n: number, centres: Float64Array): Data {
  const x = new Float64Array(n * IN);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const c = rng.int(OUT);
    y[r] = c;
    for (let i = 0; i < IN; i++) x[r * IN + i] = centres[c * IN + i] + rng.normal();
  }
  return { x, y };
}

/** Minibatch loss and gradient at w (float64 inside, written to `out`). */
function lossAndGrad(d: Data, rng: Rng, w: Float32Array, out: Float32Array): number {
  const g = new Float64Array(DIM);
  const h = new Float64Array(HID);
  const p = new Float64Array(OUT);
  let loss = 0;
  for (let s = 0; s < BATCH; s++) {
    const r = rng.int(d.y.length);
    for (let j = 0; j < HID; j++) {
      let a = w[IN * HID + j];
      for (let i = 0; i < IN; i++) a += d.x[r * IN + i] * w[i * HID + j];
      h[j] = a > 0 ? a : 0;
    }
    let max = -Infinity;
    for (let c = 0; c < OUT; c++) {
      let a = w[B2 + c];
      for (let j = 0; j < HID; j++) a += h[j] * w[W2 + j * OUT + c];
      p[c] = a;
      max = Math.max(max, a);
    }
    let sum = 0;
    for (let c = 0; c < OUT; c++) sum += Math.exp(p[c] - max);
    loss += Math.log(sum) + max - p[d.y[r]];
    for (let c = 0; c < OUT; c++) p[c] = (Math.exp(p[c] - max) / sum - (c === d.y[r] ? 1 : 0)) / BATCH;
    for (let j = 0; j < HID; j++) {
      if (h[j] <= 0) continue;
      let dh = 0;
      for (let c = 0; c < OUT; c++) {
        g[W2 + j * OUT + c] += h[j] * p[c];
        dh += p[c] * w[W2 + j * OUT + c];
      }
      g[IN * HID + j] += dh;
      for (let i = 0; i < IN; i++) g[i * HID + j] += d.x[r * IN + i] * dh;
    }
    for (let c = 0; c < OUT; c++) g[B2 + c] += p[c];
  }
  out.set(g);
  return loss / BATCH;
}

interface Run {
  /** Largest minibatch loss and largest |x_t| of the live peers over the last epoch. */
  maxLoss: number;
  maxX: number;
}

/**
 * Peers 0 and 1 train together, then members 2 and 3 join (two epochs) and never open a link.
 * Each step a peer's link to the other live peer carries at most `framesPerStep` frames (a real
 * link slower than the steps); frames and their acknowledgements arrive at once.
 */
function run(encoding: RfastEncodingName, framesPerStep: number, steps: number): Run {
  const rng = new Rng(7);
  const centres = Float64Array.from({ length: OUT * IN }, () => 1.5 * rng.normal());
  const data = new Map<PeerId, Data>([0, 1].map((id) => [id, makeData(rng, 256, centres)] as const));
  const x0 = Float32Array.from({ length: DIM }, (_, t) => (t < IN * HID || (t >= W2 && t < B2) ? 0.5 * rng.normal() : 0));
  const live = [0, 1];
  const at = (members: PeerId[], id: PeerId) => neighboursOf(buildTopology('exponential', members), id);
  const peers = live.map((id) => new RFast({ id, x0, lr: 0.3, blockSize: 32, epoch: 1, neighbours: at(live, id), encoding, kernels: 'js' }));
  const batches = live.map((id) => new Rng(100 + id));
  const grad = new Float32Array(DIM);
  const cursor = [0, 0];
  const deliver = (env: Envelope): void => {
    const to = peers[live.indexOf(env.to)];
    if (to === undefined) return; // a member that never connected
    for (const ack of to.receive(copy(env.msg))) peers[live.indexOf(ack.to)].receive(copy(ack.msg));
  };
  const send = (i: number): void => {
    const src = peers[i].slots;
    const t = src.targets().findIndex((id) => live.includes(id));
    if (t < 0) return;
    for (let f = 0; f < framesPerStep; f++) {
      const slot = src.nextPending(t, cursor[i]);
      if (slot < 0) break;
      cursor[i] = (slot + 1) % src.slotCount(t);
      deliver(src.take(t, slot));
    }
  };
  peers.forEach((p, i) => {
    lossAndGrad(data.get(p.id)!, batches[i], p.params(), grad);
    p.applyGradient(grad);
  });
  const result: Run = { maxLoss: 0, maxX: 0 };
  for (let s = 0; s < steps; s++) {
    if (s === 100) peers.forEach((p) => p.setEpoch(2, at([0, 1, 2], p.id)));
    if (s === 101) {
      peers.forEach((p) => p.setEpoch(3, at([0, 1, 2, 3], p.id)));
      cursor.fill(0);
    }
    peers.forEach((p, i) => {
      p.beginStep();
      const loss = lossAndGrad(data.get(p.id)!, batches[i], p.params(), grad);
      p.applyGradient(grad);
      send(i);
      if (s > 101) {
        result.maxLoss = Math.max(result.maxLoss, Number.isFinite(loss) ? loss : Infinity);
        for (const v of p.model()) result.maxX = Math.max(result.maxX, Math.abs(v));
      }
    });
  }
  return result;
}

function copy(msg: Message): Message {
  return { ...msg, data: msg.data.slice() };
}

describe('R-FAST peer whose tracker in-neighbours never connect', () => {
  it('the exponential graph of four with members 2 and 3 dead makes peer 0 such a source', () => {
    const t = buildTopology('exponential', [0, 1, 2, 3]);
    expect(neighboursOf(t, 0).cIn).toEqual([2, 3]);
    expect(neighboursOf(t, 0).rIn).toEqual([2, 3]);
    expect(neighboursOf(t, 0).cOut).toContain(1);
    expect(neighboursOf(t, 1).cOut).toEqual([2, 3]);
  });

  for (const encoding of ['f16-i8', 'f32'] as const) {
    for (const framesPerStep of [4, 12]) {
      it(`${encoding}, ${framesPerStep} frames per step to the live neighbour: the model stays bounded`, () => {
        // Before the fix: minibatch losses of 2e7 to 1e60 and |x| of 5e3 to 1e30. Now about 0.5 and 1.5.
        const r = run(encoding, framesPerStep, 3000);
        expect(r.maxLoss).toBeLessThan(3);
        expect(r.maxX).toBeLessThan(10);
      });
    }
  }
});
