/**
 * The WebAssembly SIMD kernels compute exactly what the JavaScript ones do: two networks driven by
 * the same random schedule, one per kernel kind, hold bit-identical state after every event. And
 * the committed module is what its source compiles to.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgKind, type Message, type PeerNeighbours } from './contract';
import { ConfigError } from './errors';
import { RFast } from './rfast';
import { kernelModule } from './rfast-simd';
import { compileKernels } from './rfast-wat.compile';
import { RFAST_WASM_BASE64 } from './rfast-wasm';
import { Rng } from './rng';
import { buildTopology, neighboursOf } from './topology';
import { anyTopologyKind, lossyCases, lossyRun } from './rfast.test-driver';

function bits(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  const x = bits(a);
  const y = bits(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The first field in which two peers differ, or null. */
function difference(a: RFast, b: RFast): string | null {
  const s = a.inspect();
  const t = b.inspect();
  for (const f of ['x', 'v', 'z', 'g'] as const) if (!sameBits(s[f], t[f])) return f;
  if (!sameBits(a.params(), b.params())) return 'params';
  for (const f of ['rho', 'rhoNew', 'rhoTilde'] as const) {
    for (const [k, buf] of s[f]) if (!sameBits(buf, t[f].get(k)!)) return `${f}[${k}]`;
  }
  if (JSON.stringify(a.stats()) !== JSON.stringify(b.stats())) return 'stats';
  return null;
}

/** A block from a real in-neighbour (per `nb`) with one non-finite value among random ones. */
function poisoned(p: RFast, nb: PeerNeighbours, rng: Rng, blockSize: number, bad: number): Message | null {
  const rho = rng.next() < 0.5;
  const senders = rho ? nb.cIn : nb.rIn;
  if (senders.length === 0) return null;
  const dim = p.dim;
  const block = rng.int(Math.ceil(dim / blockSize));
  const offset = block * blockSize;
  const n = Math.min(dim, offset + blockSize) - offset;
  const data = rho ? new Float64Array(n) : new Float32Array(n);
  for (let t = 0; t < n; t++) data[t] = rng.normal();
  data[rng.int(n)] = bad;
  const kind = rho ? MsgKind.RfastRho : MsgKind.RfastV;
  return { kind, from: senders[rng.int(senders.length)], epoch: p.inspect().epoch, seq: 1e9, block, offset, aux: 0, data };
}

describe('R-FAST SIMD kernels', () => {
  it('are available in this runtime (Node 20+ has WebAssembly SIMD)', () => {
    expect(kernelModule()).not.toBeNull();
  });

  it('give bit-identical runs to the JavaScript kernels under loss, duplication, epochs and bad input', () => {
    fc.assert(
      fc.property(
        lossyCases({ maxDim: 70, maxBlock: 33, maxLoss: 0.5, maxDuplicate: 0.3 }),
        anyTopologyKind(),
        fc.boolean(),
        (run, next, naive) => {
          const c = { ...run, next, naive };
          const nets = (['js', 'simd'] as const).map((kernels) => lossyRun({ ...c, kernels }));
          const attack = new Rng(c.seed + 1);
          let topology = buildTopology(c.kind, c.ids, { seed: c.seed });
          for (let e = 1; e <= 300; e++) {
            for (const net of nets) net.event();
            if (e === 150) {
              topology = buildTopology(c.next, c.ids, { seed: c.seed + 2 });
              for (const net of nets) for (const [id, p] of net.peers) p.setEpoch(1, neighboursOf(topology, id));
            }
            if (e % 37 === 0) {
              const id = c.ids[attack.int(c.ids.length)];
              const bad = [NaN, Infinity, -Infinity][attack.int(3)];
              const msg = poisoned(nets[0].peers.get(id)!, neighboursOf(topology, id), attack, c.blockSize, bad);
              if (msg !== null) for (const net of nets) net.peers.get(id)!.receive({ ...msg, data: msg.data.slice() });
            }
            for (const id of c.ids) {
              const diff = difference(nets[0].peers.get(id)!, nets[1].peers.get(id)!);
              if (diff !== null) throw new Error(`peer ${id} differs in ${diff} after event ${e}`);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuse an unknown kernel choice', () => {
    const nb = { rIn: [], rOut: [], cIn: [], cOut: [], undirected: [], members: [0] };
    expect(() => new RFast({ id: 0, x0: new Float32Array(4), lr: 0.1, blockSize: 2, epoch: 0, neighbours: nb, kernels: 'gpu' as never })).toThrow(ConfigError);
  });

  it('are committed as compiled from rfast-wat.ts (run `npm run build:kernels` after editing it)', async () => {
    const bytes = await compileKernels();
    expect(Buffer.from(bytes).toString('base64')).toBe(RFAST_WASM_BASE64);
    // Chromium refuses to compile or instantiate a module over 4 KB synchronously on the main
    // thread, which is where a browser peer creates its kernel memory on every epoch change.
    expect(bytes.length).toBeLessThanOrEqual(4096);
  });
});
