/**
 * Prints the server-side costs behind the README's figures:
 *   npx tsx apps/server/src/bench-evaluation.ts
 * - a snapshot evaluation on the 10k MNIST test set (wasm), and the longest event-loop stall
 *   during it (measured with a 1 ms interval timer);
 * - SQLite: one metric tick with 64 peers, a day of one-second points downsampled, a checkpoint write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalArrays } from '@starling/tasks';
import { readIdxSplit } from '@starling/tasks/node';
import { parseRunConfig } from '@starling/protocol';
import { initialParams, layoutOf, type ModelSpec } from '@starling/training';
import { SERVER_TUNING } from './config';
import { SnapshotEvaluator, type Measurement } from './evaluator';
import { ModelRuntime } from './model-runtime';
import { Store } from './store';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function evaluation(spec: ModelSpec, reps: number): Promise<void> {
  const test = await readIdxSplit('test');
  const runtime = new ModelRuntime({ backends: ['wasm', 'cpu'], evalBatchSize: SERVER_TUNING.evalBatchSize });
  await runtime.trainerFor(spec);
  const times: number[] = [];
  let stall = 0;
  let done: (e: Measurement) => void = () => {};
  const evaluator = new SnapshotEvaluator({
    runtime,
    evalArrays: async (_runId, max) => evalArrays(test, max),
    testCount: 10_000,
    chunkSize: SERVER_TUNING.evalBatchSize,
    chunkMs: SERVER_TUNING.evalChunkMs,
    minIntervalMs: 0,
    clock: Date.now,
    samplesOf: () => 0,
    onResult: (e) => done(e),
    onError: (e) => {
      throw e;
    },
    onSuperseded: () => {},
  });
  const x = initialParams(spec, 1);
  for (let r = 0; r < reps + 1; r++) {
    let last = performance.now();
    const probe = setInterval(() => {
      const t = performance.now();
      if (r > 0) stall = Math.max(stall, t - last);
      last = t;
    }, 1);
    const e = await new Promise<Measurement>((resolve) => {
      done = resolve;
      evaluator.submit({ runId: 'bench', peerId: 0, steps: 0, task: { id: 'bench', title: 'bench', model: spec, data: { layout: 'examples', classNames: null, image: null }, metric: 'accuracy', initialUrl: null }, params: x, receivedAt: Date.now() });
    });
    clearInterval(probe);
    if (r > 0) times.push(e.evalMs); // the first run warms the backend up
  }
  await evaluator.close();
  await runtime.close();
  console.log(
    `evaluate ${JSON.stringify(spec)} (${layoutOf(spec).dim} params) on 10k test images, wasm, chunks of ${SERVER_TUNING.evalBatchSize}: ` +
      `median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms over ${reps}; longest event-loop stall ${stall.toFixed(1)} ms`,
  );
}

async function storage(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'starling-bench-'));
  const store = Store.open(join(dir, 'starling.db'));
  try {
    store.runs.create('r', parseRunConfig({}), 0);
    const losses = Array.from({ length: 64 }, (_, i) => ({ peerId: i, loss: 1 + i / 64 }));
    const point = { t: 0, samples: 0, meanLoss: 1.5, minLoss: 1, maxLoss: 2, stepsPerSec: 640, peers: 64 };
    const tick: number[] = [];
    for (let s = 0; s < 300; s++) {
      const t0 = performance.now();
      store.recordTick('r', { ...point, t: s * 1000, samples: s }, losses);
      tick.push(performance.now() - t0);
    }
    console.log(`one metric tick with 64 peers (1 point + 64 losses, one transaction): median ${median(tick).toFixed(2)} ms`);

    const day = 86_400;
    store.batch(() => {
      for (let s = 300; s < day; s++) store.recordTick('r', { ...point, t: s * 1000, samples: s }, losses.slice(0, 4));
    });
    const t1 = performance.now();
    const r = store.metrics.downsample(day * 1000, SERVER_TUNING.downsampleTiers);
    console.log(`downsampling a day of 1 s points (4 peers): ${(performance.now() - t1).toFixed(0)} ms, ${r.metricsRemoved + r.peerLossesRemoved} rows merged away`);
    const t2 = performance.now();
    store.metrics.downsample(day * 1000 + 60_000, SERVER_TUNING.downsampleTiers);
    console.log(`the next pass a minute later: ${(performance.now() - t2).toFixed(1)} ms`);

    const params = initialParams({ kind: 'mlp', hidden: [128] }, 1);
    const cp: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      store.checkpoints.insert({ runId: 'r', t: i, peerId: 0, steps: i, accuracy: 0.5, loss: 1 }, params, SERVER_TUNING.checkpointsKept);
      cp.push(performance.now() - t0);
    }
    console.log(`checkpoint write (${params.byteLength} bytes, keep ${SERVER_TUNING.checkpointsKept}): median ${median(cp).toFixed(2)} ms`);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await evaluation({ kind: 'mlp', hidden: [128] }, 5);
await storage();
