/**
 * Cost of one R-FAST step without the gradient: beginStep (steps 1-3) + applyGradient (steps 4-6),
 * and of receiving one neighbour's full vector, at p = 100k with in/out degree 3 on both graphs.
 * Every block of every in-neighbour is fresh each step (the worst case for step 3).
 *
 *   npx tsx packages/core/bench/rfast-step.ts [p] [blockSize...]
 */
import { MsgKind, type Message } from '../src/contract';
import { RFast } from '../src/rfast';
import { Rng } from '../src/rng';

const p = Number(process.argv[2] ?? 100_000);
const blockSizes = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [256, 1024, 4096, 16384];
const nbIds = [1, 2, 3];
const rng = new Rng(1);
const x0 = Float32Array.from({ length: p }, () => rng.normal());
const grad = Float32Array.from({ length: p }, () => rng.normal() * 1e-3);

function incoming(kind: MsgKind, from: number, blockSize: number, seq: number, data: Float32Array | Float64Array): Message[] {
  const out: Message[] = [];
  for (let b = 0, off = 0; off < p; b++, off += blockSize) {
    out.push({ kind, from, epoch: 0, seq, block: b, offset: off, aux: 0, data: data.subarray(off, Math.min(p, off + blockSize)) });
  }
  return out;
}

/** min / median / p90 in ms: the minimum is the figure least disturbed by other load on the machine. */
function summary(a: number[]): string {
  const s = a.slice().sort((x, y) => x - y);
  const at = (q: number): string => s[Math.floor(q * (s.length - 1))].toFixed(3);
  return `min ${at(0)} / median ${at(0.5)} / p90 ${at(0.9)} ms`;
}

for (const blockSize of blockSizes) {
  const peer = new RFast({
    id: 0, x0, lr: 0.01, blockSize, epoch: 0,
    neighbours: { rIn: nbIds, rOut: nbIds, cIn: nbIds, cOut: nbIds, undirected: nbIds, members: [0, ...nbIds] },
  });
  peer.applyGradient(grad);
  const v = new Float32Array(x0);
  const rho = new Float64Array(p).fill(0.5);
  const stepMs: number[] = [];
  const beginMs: number[] = [];
  const recvMs: number[] = [];
  let envelopes = 0;
  for (let it = 1; it <= 300; it++) {
    const msgs = nbIds.flatMap((j) => [...incoming(MsgKind.RfastV, j, blockSize, it, v), ...incoming(MsgKind.RfastRho, j, blockSize, it, rho)]);
    const r0 = performance.now();
    for (const m of msgs) peer.receive(m);
    const t0 = performance.now();
    peer.beginStep();
    peer.params();
    const tb = performance.now();
    envelopes = peer.applyGradient(grad).length;
    const t1 = performance.now();
    if (it > 20) {
      stepMs.push(t1 - t0);
      beginMs.push(tb - t0);
      recvMs.push((t0 - r0) / (2 * nbIds.length)); // per neighbour per vector
    }
    rho[it % p] += 1e-3;
  }
  const s = peer.stats();
  if (s.rejected + s.stale > 0) throw new Error(`unexpected rejects ${JSON.stringify(s)}`);
  console.log(`p=${p} blockSize=${blockSize} (${envelopes} envelopes/step)`);
  console.log(`  beginStep + applyGradient: ${summary(stepMs)}`);
  console.log(`  of which beginStep:        ${summary(beginMs)}`);
  console.log(`  receive one full vector:   ${summary(recvMs)}`);
}
