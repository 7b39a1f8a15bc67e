/**
 * Gradient steps per second of every built-in task's model on each TF.js backend Node has: webgpu
 * (through Dawn, where the machine has a Vulkan GPU driver), wasm and cpu. Each backend's gradient is
 * also compared with cpu's at the same point, so a fast but wrong backend shows as wrong.
 *
 *   npx tsx apps/cli/src/bench-backends.ts [--tasks mnist-mlp,mnist-cnn] [--backends webgpu,wasm,cpu]
 *     [--batches 32,128] [--seconds 3] [--out results/backends-<machine>.json]
 *
 * The batches are synthetic (fixed pseudo-random inputs of the task's shape and valid targets): a
 * step's cost does not depend on the values, and the bench needs no packed data set. The browser's
 * own choice between these backends (and WebGL) is the speed trial, `createFastestTrainer`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@starling/core';
import { BUILTIN_TASKS, resolveBuiltinTask } from '@starling/tasks/node';
import { initialParams, scaledMaxError, Trainer, type BackendName, type Labels, type ModelSpec } from '@starling/training';
import { enableNodeWebGpu } from '@starling/training/node';
import { median } from './bench/stats';

interface Args {
  tasks: string[];
  backends: BackendName[];
  batches: number[];
  seconds: number;
  out: string | null;
}

interface Row {
  task: string;
  params: number;
  backend: BackendName;
  batch: number;
  device: string | null;
  /** Null when the backend cannot train this model here; `note` says why. */
  stepsPerSec: number | null;
  medianMs: number | null;
  firstStepMs: number | null;
  steps: number;
  /** max |g - g_cpu| / max(|g_cpu|): null when cpu was not run or this is cpu. */
  gradientRelError: number | null;
  note: string | null;
}

const USAGE = 'usage: bench-backends.ts [--tasks LIST] [--backends webgpu,wasm,cpu] [--batches 32,128] [--seconds S] [--out FILE]';

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { tasks: BUILTIN_TASKS.map((t) => t.id), backends: ['webgpu', 'wasm', 'cpu'], batches: [32], seconds: 3, out: null };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${argv[i]} needs a value\n${USAGE}`);
    switch (argv[i++]) {
      case '--tasks':
        a.tasks = v.split(',');
        for (const t of a.tasks) if (!BUILTIN_TASKS.some((d) => d.id === t)) throw new Error(`--tasks: unknown task '${t}' (built-in: ${BUILTIN_TASKS.map((d) => d.id).join(', ')})`);
        break;
      case '--backends':
        a.backends = v.split(',') as BackendName[];
        for (const b of a.backends) if (b !== 'webgpu' && b !== 'wasm' && b !== 'cpu') throw new Error(`--backends: '${b}' is not a Node backend (webgpu, wasm, cpu)`);
        break;
      case '--batches':
        a.batches = v.split(',').map(Number);
        if (!a.batches.every((b) => Number.isInteger(b) && b >= 1 && b <= 4096)) throw new Error(`--batches: integers 1-4096, got '${v}'`);
        break;
      case '--seconds':
        a.seconds = Number(v);
        if (!(a.seconds > 0 && a.seconds <= 600)) throw new Error(`--seconds: 0-600, got '${v}'`);
        break;
      case '--out':
        a.out = v;
        break;
      default:
        throw new Error(`unknown option '${argv[i - 1]}'\n${USAGE}`);
    }
  }
  return a;
}

/** A fixed batch of the model's shape: inputs in [0, 1) (or token ids) and valid targets. */
function syntheticBatch(trainer: Trainer, batch: number, seed: number): { xs: Float32Array; ys: Labels } {
  const rng = new Rng(seed);
  const io = trainer.io;
  const xs = new Float32Array(batch * io.inputSize);
  const o = io.objective;
  for (let i = 0; i < xs.length; i++) xs[i] = io.encoding === 'one-hot' && o.kind === 'sequence' ? rng.int(o.classes) : rng.next();
  const n = batch * io.targetSize;
  if (o.kind === 'regression') return { xs, ys: Float32Array.from({ length: n }, () => rng.next()) };
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) ys[i] = rng.int(o.classes);
  return { xs, ys };
}

/** `unavailable`: why webgpu cannot run here (Dawn found no adapter), or null. */
async function measure(task: string, spec: ModelSpec, backend: BackendName, batch: number, seconds: number, ref: Float32Array | null, unavailable: string | null): Promise<{ row: Row; grad: Float32Array | null }> {
  const base: Row = { task, params: 0, backend, batch, device: null, stepsPerSec: null, medianMs: null, firstStepMs: null, steps: 0, gradientRelError: null, note: null };
  if (backend === 'webgpu' && unavailable !== null) return { row: { ...base, note: unavailable }, grad: null };
  let trainer: Trainer;
  try {
    trainer = await Trainer.create(spec, { backends: [backend] });
  } catch (err) {
    // A BackendError lists the attempt on its second line ("  wasm: why"); the rest is advice for a peer.
    const reason = err instanceof Error ? (err.message.split('\n')[1]?.trim() ?? err.message) : String(err);
    return { row: { ...base, note: reason }, grad: null };
  }
  try {
    const x = initialParams(spec, 1);
    const g = new Float32Array(trainer.dim);
    const { xs, ys } = syntheticBatch(trainer, batch, 7);
    let t = performance.now();
    await trainer.gradient(x, xs, ys, batch, g);
    const firstStepMs = performance.now() - t;
    const grad = g.slice();
    // Warm-up beyond the first step: some kernels compile on the second call.
    await trainer.gradient(x, xs, ys, batch, g);
    const times: number[] = [];
    const started = performance.now();
    while (times.length < 3 || (performance.now() - started < seconds * 1000 && times.length < 10_000)) {
      t = performance.now();
      await trainer.gradient(x, xs, ys, batch, g);
      times.push(performance.now() - t);
    }
    const total = times.reduce((s, v) => s + v, 0);
    return {
      row: {
        ...base,
        params: trainer.dim,
        device: trainer.backendReport?.device ?? null,
        stepsPerSec: (times.length * 1000) / total,
        medianMs: median(times),
        firstStepMs,
        steps: times.length,
        gradientRelError: ref && backend !== 'cpu' ? scaledMaxError(grad, ref) : null,
      },
      grad,
    };
  } finally {
    await trainer.dispose();
  }
}

function fmt(v: number | null, digits: number): string {
  return v === null ? '-' : v.toFixed(digits);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let webgpuNote: string | null = null;
  let webgpuUnavailable: string | null = null;
  if (args.backends.includes('webgpu')) {
    const gpu = await enableNodeWebGpu();
    webgpuNote = gpu.ok ? `${gpu.adapter}${gpu.software ? ' (software)' : ''}` : gpu.reason;
    if (!gpu.ok) webgpuUnavailable = `unavailable: ${gpu.reason}`;
    console.log(`webgpu: ${webgpuNote}`);
  }
  // cpu runs first per task, so every other backend's gradient is checked against it.
  const order = [...args.backends].sort((a, b) => Number(b === 'cpu') - Number(a === 'cpu'));
  const machine = `${hostname()}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, TF.js ${tf.version.tfjs}`;
  console.log(machine);
  console.log('| task | params | backend | batch | steps/s | median ms | first step ms | grad rel. err vs cpu | device / note |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const rows: Row[] = [];
  for (const id of args.tasks) {
    const resolved = resolveBuiltinTask(id, {});
    if (!resolved) throw new Error(`unknown task ${id}`);
    for (const batch of args.batches) {
      let ref: Float32Array | null = null;
      for (const backend of order) {
        const { row, grad } = await measure(id, resolved.info.model, backend, batch, args.seconds, ref, webgpuUnavailable);
        if (backend === 'cpu') ref = grad;
        rows.push(row);
        const info = row.note ?? row.device ?? '';
        console.log(`| ${id} | ${row.params} | ${backend} | ${batch} | ${fmt(row.stepsPerSec, 1)} | ${fmt(row.medianMs, 2)} | ${fmt(row.firstStepMs, 0)} | ${row.gradientRelError === null ? '-' : row.gradientRelError.toExponential(1)} | ${info} |`);
      }
    }
  }
  if (args.out) {
    mkdirSync(dirname(args.out), { recursive: true });
    const command = `npx tsx apps/cli/src/bench-backends.ts ${process.argv.slice(2).join(' ')}`.trim();
    writeFileSync(args.out, `${JSON.stringify({ measuredAt: new Date().toISOString(), command, machine, webgpu: webgpuNote, seconds: args.seconds, rows }, null, 2)}\n`);
    console.log(`wrote ${args.out}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
