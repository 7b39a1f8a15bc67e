/**
 * The R-FAST comparison in the simulator with real MNIST gradients (TF.js, wasm backend):
 *
 *   npx tsx apps/cli/src/bench.ts --preset quick|full [--out DIR] [--seed N] [--step-time SECONDS] [--send-buffer BYTES]
 *
 * Calibrates the compute model from measured gradient steps (unless --step-time is given), tunes
 * step sizes when the preset says so, runs every algorithm on every scenario of the preset and
 * writes DIR/comparison.md, DIR/comparison.json and DIR/plots/*.svg (DIR defaults to results/PRESET).
 * The same seed and step time give the same figures.
 */
import {
  BENCH_CONFIG,
  comparisonPreset,
  comparisonReport,
  MnistTask,
  parseBenchArgs,
  runComparison,
  writeReport,
} from '@starling/bench';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), { preset: 'quick', outPrefix: 'results' });
  const preset = comparisonPreset(args.preset);
  const log = (line: string) => console.log(line);
  const task = await MnistTask.load({ log });
  try {
    const timing = args.stepTime === null ? await task.calibrate(BENCH_CONFIG.calibrationWarmup, BENCH_CONFIG.calibrationSteps) : null;
    const stepTime = args.stepTime ?? (timing as NonNullable<typeof timing>).median;
    const ms = (x: number) => `${(x * 1000).toFixed(2)} ms`;
    log(`backend ${task.backend}; base step time ${ms(stepTime)}${timing ? ` (median CPU time of ${timing.steps} steps; wall median ${ms(timing.wallMedian)}, p10 ${ms(timing.wallP10)}, p90 ${ms(timing.wallP90)})` : ' (given)'}`);
    const sendBuffer = args.sendBuffer ?? BENCH_CONFIG.network.sendBuffer;
    const result = await runComparison(task, preset, { seed: args.seed, stepTime, sendBuffer, timing, log });
    // The exact command that repeats this run bit for bit: the step time pins the virtual clock.
    const sb = args.sendBuffer === null ? '' : ` --send-buffer ${args.sendBuffer}`;
    const command = `npx tsx apps/cli/src/bench.ts --preset ${args.preset} --seed ${args.seed} --step-time ${stepTime}${sb} --out ${args.out}`;
    const files = comparisonReport(result, command);
    files.push({ path: 'comparison.json', text: JSON.stringify(result) });
    const written = await writeReport(args.out, files);
    log(`wrote ${written.join(', ')} in ${(result.wallSeconds / 60).toFixed(1)} min`);
  } finally {
    await task.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
});
