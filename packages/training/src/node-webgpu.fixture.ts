/**
 * Child process of node-webgpu.test.ts (Dawn reads the Vulkan environment when it loads, so each
 * case needs a fresh process). Prints one JSON line: whether WebGPU came up, and for a tiny GRU
 * and a tiny CNN the relative gap between the webgpu and cpu gradients at the same point; and what
 * the speed trial made of webgpu after wasm on the GRU (the first thing it does, before anything has
 * initialised TF.js's webgpu backend).
 */
import { Rng } from '@starling/core';
import { initialParams } from './init';
import { enableNodeWebGpu } from './node-webgpu';
import type { ModelSpec } from './spec';
import { Trainer } from './trainer';
import { createFastestTrainer } from './speed-trial';
import * as tf from './tf';
import { scaledMaxError } from './verify';

const SPECS: Record<string, ModelSpec> = {
  gru: { kind: 'rnn', cell: 'gru', vocab: 5, length: 3, units: [4] },
  cnn: { kind: 'cnn', filters: [2], kernelSize: 3, dense: [4], image: [6, 6, 1], classes: 3 },
};

async function gradient(spec: ModelSpec, backend: 'webgpu' | 'cpu'): Promise<Float32Array | string> {
  let trainer: Trainer;
  try {
    trainer = await Trainer.create(spec, { backends: [backend] });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  try {
    const rng = new Rng(3);
    const batch = 4;
    const io = trainer.io;
    const o = io.objective;
    const classes = o.kind === 'regression' ? 1 : o.classes;
    const xs = Float32Array.from({ length: batch * io.inputSize }, () => (io.encoding === 'one-hot' ? rng.int(classes) : rng.next()));
    const ys = Int32Array.from({ length: batch * io.targetSize }, () => rng.int(classes));
    const g = new Float32Array(trainer.dim);
    await trainer.gradient(initialParams(spec, 1), xs, ys, batch, g);
    return g;
  } finally {
    await trainer.dispose();
  }
}

const gpu = await enableNodeWebGpu({ timeoutMs: 20_000 });
const gaps: Record<string, number | string> = {};
let trial: { webgpu?: string; initialised: boolean } | null = null;
if (gpu.ok) {
  const { trainer } = await createFastestTrainer(SPECS.gru, { backends: ['wasm', 'webgpu'], batchSize: 4 });
  // registry holds the backends TF.js has initialised (registryFactory the ones it could).
  trial = { webgpu: trainer.backendReport?.attempts.find((a) => a.name === 'webgpu')?.reason, initialised: 'webgpu' in tf.engine().registry };
  await trainer.dispose();
  for (const [name, spec] of Object.entries(SPECS)) {
    const ref = await gradient(spec, 'cpu');
    const got = await gradient(spec, 'webgpu');
    if (typeof ref === 'string') {
      gaps[name] = ref;
      continue;
    }
    if (typeof got === 'string') {
      gaps[name] = got;
      continue;
    }
    gaps[name] = scaledMaxError(got, ref);
  }
}
console.log(JSON.stringify({ gpu, gaps, trial }));
process.exit(0);
