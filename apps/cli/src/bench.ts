/**
 * The R-FAST comparison in the simulator with real gradients of a built-in task (TF.js; default
 * mnist-mlp on wasm, `--task mnist-cnn` for the compute-bound regime):
 *
 *   npx tsx apps/cli/src/bench.ts --preset quick|full|home|loopback|cnn [--task ID] [--backends webgpu,wasm,cpu] [--out DIR] [--seed N] [--step-time SECONDS] [--send-buffer BYTES] [--score average|worst-peer] [--encoding i4]
 *   npx tsx apps/cli/src/bench.ts --from DIR/comparison.json [--out DIR]    (rewrite the report only)
 *   npx tsx apps/cli/src/bench.ts --preset home --seed 2 --tuned-from results/home/comparison.json   (another seed, same step sizes)
 *   npx tsx apps/cli/src/bench-seeds.ts DIR1/comparison.json DIR2/comparison.json ... --out DIR      (the seeds side by side)
 *
 * Calibrates the compute model from measured gradient steps (unless --step-time is given), tunes
 * step sizes when the preset says so, runs every algorithm on every scenario of the preset and
 * writes DIR/comparison.md, DIR/comparison.json and DIR/plots/*.svg (DIR defaults to results/PRESET).
 * The same seed and step time give the same figures.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  BENCH_CONFIG,
  BenchError,
  comparisonPreset,
  comparisonReport,
  BenchTask,
  parseBenchArgs,
  runComparison,
  writeReport,
  type BenchArgs,
  type ComparisonOptions,
  type ComparisonResult,
} from '@starling/bench';
import { enableNodeWebGpu } from '@starling/training/node';

interface Saved {
  command: string;
  result: ComparisonResult;
}

async function run(args: BenchArgs, log: (line: string) => void): Promise<Saved> {
  const full = comparisonPreset(args.preset);
  const only = args.algorithms;
  const preset = only === null ? full : { ...full, algorithms: full.algorithms.filter((a) => only.includes(a)), reference: only.includes(full.reference) ? full.reference : only[0] };
  if (args.backends?.includes('webgpu')) {
    const gpu = await enableNodeWebGpu();
    log(`webgpu: ${gpu.ok ? `${gpu.adapter}${gpu.software ? ' (software)' : ''}` : `unavailable, ${gpu.reason}`}`);
  }
  const task = await BenchTask.load({ log, task: args.task ?? preset.task, ...(args.backends ? { backends: args.backends } : {}) });
  try {
    const timing = args.stepTime === null ? await task.calibrate(BENCH_CONFIG.calibrationWarmup, BENCH_CONFIG.calibrationSteps) : null;
    const stepTime = args.stepTime ?? (timing as NonNullable<typeof timing>).median;
    const ms = (x: number) => `${(x * 1000).toFixed(2)} ms`;
    log(`backend ${task.backend}; base step time ${ms(stepTime)}${timing ? ` (median CPU time of ${timing.steps} steps; wall median ${ms(timing.wallMedian)}, p10 ${ms(timing.wallP10)}, p90 ${ms(timing.wallP90)})` : ' (given)'}`);
    const sendBuffer = args.sendBuffer ?? BENCH_CONFIG.network.sendBuffer;
    const tuned = args.tunedFrom === null ? undefined : await tunedFrom(args.tunedFrom, preset.name, args.encoding ?? BENCH_CONFIG.rfastEncoding);
    const rfastSettings =
      args.pushShare === null && args.paceMargin === null
        ? undefined
        : { ...(args.pushShare === null ? {} : { pushShare: args.pushShare }), ...(args.paceMargin === null ? {} : { paceMargin: args.paceMargin }) };
    const result = await runComparison(task, preset, { seed: args.seed, stepTime, sendBuffer, timing, log, tuned, rfastSettings, score: args.score, ...(args.encoding === null ? {} : { rfastEncoding: args.encoding }) });
    // The exact command that repeats this run bit for bit: the step time pins the virtual clock.
    const sb = args.sendBuffer === null ? '' : ` --send-buffer ${args.sendBuffer}`;
    const t = args.task === null ? '' : ` --task ${args.task}`;
    const b = args.backends === null ? '' : ` --backends ${args.backends.join(',')}`;
    const tf = args.tunedFrom === null ? '' : ` --tuned-from ${args.tunedFrom}`;
    const al = only === null ? '' : ` --algorithms ${only.join(',')}`;
    const ps = args.pushShare === null ? '' : ` --push-share ${args.pushShare}`;
    const pm = args.paceMargin === null ? '' : ` --pace-margin ${args.paceMargin}`;
    const sc = args.score === 'average' ? '' : ` --score ${args.score}`;
    const en = args.encoding === null ? '' : ` --encoding ${args.encoding}`;
    return { result, command: `npx tsx apps/cli/src/bench.ts --preset ${args.preset}${t}${b} --seed ${args.seed} --step-time ${stepTime}${sb}${tf}${al}${ps}${pm}${sc}${en} --out ${args.out}` };
  } finally {
    await task.dispose();
  }
}

/** The step sizes (and their tuning table) of a saved run of the same preset. */
async function tunedFrom(path: string, preset: string, encoding: string): Promise<NonNullable<ComparisonOptions['tuned']>> {
  const saved = JSON.parse(await readFile(path, 'utf8')) as Saved;
  if (saved.result?.preset !== preset) throw new BenchError(`--tuned-from ${path} holds preset '${String(saved.result?.preset)}', not '${preset}'`);
  // R-FAST's pick belongs to the frames it was tuned with (results before the field: f16-i8).
  const was = saved.result.rfastEncoding ?? 'f16-i8';
  if (was !== encoding) throw new BenchError(`--tuned-from ${path} tuned R-FAST on ${was} frames, not ${encoding}; pass --encoding ${was} or tune again`);
  return { lr: saved.result.lr, tuning: saved.result.tuning };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseBenchArgs(argv, { preset: 'quick', outPrefix: 'results' });
  const log = (line: string) => console.log(line);
  let saved: Saved;
  let out = args.out;
  if (args.from !== null) {
    saved = JSON.parse(await readFile(args.from, 'utf8')) as Saved;
    if (!argv.includes('--out')) out = dirname(args.from);
  } else {
    saved = await run(args, log);
  }
  const files = comparisonReport(saved.result, saved.command);
  files.push({ path: 'comparison.json', text: JSON.stringify(saved) });
  const written = await writeReport(out, files);
  log(`wrote ${written.join(', ')} (runs: ${(saved.result.wallSeconds / 60).toFixed(1)} min)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
});
