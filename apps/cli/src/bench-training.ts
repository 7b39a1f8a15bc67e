/**
 * Milliseconds per gradient step of the MLP 784-128-10 on the Node backends (wasm, cpu).
 *
 *   npx tsx apps/cli/src/bench-training.ts [steps]
 *
 * Each case: 10 warm-up steps, then `steps` timed steps (default 100 on wasm, 40 on cpu), each a
 * full `Trainer.gradient` call: load x, forward, backward, one read-back into a Float32Array.
 */
import { Rng } from '@starling/core';
import { initialParams, INPUT_SIZE, Trainer, type BackendName, type ModelSpec } from '@starling/training';

const SPEC: ModelSpec = { kind: 'mlp', hidden: [128] };
const BATCHES = [32, 64];
const WARMUP = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function bench(backend: BackendName, batch: number, steps: number): Promise<string> {
  const trainer = await Trainer.create(SPEC, { backends: [backend] });
  try {
    const rng = new Rng(batch);
    const xs = new Float32Array(batch * INPUT_SIZE);
    for (let i = 0; i < xs.length; i++) xs[i] = rng.next();
    const ys = new Uint8Array(batch);
    for (let i = 0; i < batch; i++) ys[i] = rng.int(10);
    const x = initialParams(SPEC, 1);
    const g = new Float32Array(trainer.dim);
    for (let i = 0; i < WARMUP; i++) await trainer.gradient(x, xs, ys, batch, g);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await trainer.gradient(x, xs, ys, batch, g);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    const cells = [backend, String(batch), String(trainer.dim), mean.toFixed(2), percentile(times, 0.5).toFixed(2), percentile(times, 0.9).toFixed(2), String(steps)];
    return `| ${cells.join(' | ')} |`;
  } finally {
    await trainer.dispose();
  }
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  const override = arg === undefined ? undefined : Number(arg);
  if (override !== undefined && !(Number.isInteger(override) && override > 0)) {
    throw new Error(`steps must be a positive integer, got ${arg}`);
  }
  console.log(`MLP 784-128-10, Node ${process.version}`);
  console.log('| backend | batch | params | mean ms | median ms | p90 ms | steps |');
  console.log('|---|---|---|---|---|---|---|');
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const batch of BATCHES) {
      console.log(await bench(backend, batch, override ?? (backend === 'wasm' ? 100 : 40)));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
