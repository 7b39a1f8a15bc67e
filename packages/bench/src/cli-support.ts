/** Command-line options of the bench entry points, and writing a report's files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RFAST_ENCODING_NAMES, type RfastEncodingName } from '@starling/core';
import type { BackendName } from '@starling/training';
import { parseAlgorithm, type BenchAlgorithm } from './algorithms';
import { BenchError } from './errors';
import type { ReportFile } from './report-comparison';
import { SCORES, type Score } from './run-one';

export interface BenchArgs {
  preset: string;
  /** Output folder; default results/<preset>. */
  out: string;
  seed: number;
  /** Base step time in seconds instead of calibrating (to repeat a run bit for bit). */
  stepTime: number | null;
  /** Link send buffer in bytes instead of BENCH_CONFIG's (ablation), or null. */
  sendBuffer: number | null;
  /** Rewrite the report from this saved result (comparison.json) instead of running. */
  from: string | null;
  /** Run only these of the preset's algorithms (tuning included); null = all of them. */
  algorithms: BenchAlgorithm[] | null;
  /** R-FAST's push share (core's RFAST_DEFAULTS.pushShare when null), for the ablation against the spec's. */
  pushShare: number | null;
  /** R-FAST's receiver pacing margin (core's RFAST_DEFAULTS.paceMargin when null; 0: off), for the ablation. */
  paceMargin: number | null;
  /** Take the step sizes picked in this saved result (comparison.json) instead of tuning again (other seeds of the same preset). */
  tunedFrom: string | null;
  /** A built-in task id (`@starling/tasks`), e.g. mnist-cnn; null = BENCH_CONFIG.task. */
  task: string | null;
  /** TF.js backends tried in order; null = BENCH_CONFIG.backends. 'webgpu' needs Dawn (`enableNodeWebGpu`). */
  backends: BackendName[] | null;
  /** What every run scores (run-one's Score). */
  score: Score;
  /** The frames of the preset's R-FAST entry (BENCH_CONFIG.rfastEncoding when null); the f32 entry stays f32. */
  encoding: RfastEncodingName | null;
}

const USAGE = 'options: --preset quick|full|home|loopback|cnn  [--task ID]  [--backends webgpu,wasm,cpu]  [--out DIR]  [--seed N]  [--step-time SECONDS]  [--send-buffer BYTES]  [--from RESULT.json]  [--tuned-from RESULT.json]  [--algorithms rfast,solo]  [--push-share 0.75]  [--pace-margin 0]  [--score average|worst-peer]  [--encoding f16-i8|i4|...]';
const OPTIONS = ['preset', 'task', 'backends', 'out', 'seed', 'step-time', 'send-buffer', 'from', 'tuned-from', 'algorithms', 'push-share', 'pace-margin', 'score', 'encoding'];

/** Parses `--name value` pairs; unknown options and bad values are refused with the usage line. */
export function parseBenchArgs(argv: readonly string[], defaults: { preset: string; outPrefix: string }): BenchArgs {
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined || value.startsWith('--')) {
      throw new BenchError(`cannot read '${key}${value === undefined ? '' : ` ${value}`}'; ${USAGE}`);
    }
    opts.set(key.slice(2), value);
    i++;
  }
  for (const k of opts.keys()) {
    if (!OPTIONS.includes(k)) throw new BenchError(`unknown option --${k}; ${USAGE}`);
  }
  const preset = opts.get('preset') ?? defaults.preset;
  const seed = Number(opts.get('seed') ?? '1');
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new BenchError(`--seed must be an integer in [0, 2^32), got ${opts.get('seed')}`);
  const st = opts.get('step-time');
  const stepTime = st === undefined ? null : Number(st);
  if (stepTime !== null && !(stepTime > 0 && stepTime < 10)) throw new BenchError(`--step-time must be seconds in (0, 10), got ${st}`);
  const sb = opts.get('send-buffer');
  const sendBuffer = sb === undefined ? null : Number(sb);
  if (sendBuffer !== null && !(Number.isInteger(sendBuffer) && sendBuffer >= 0)) throw new BenchError(`--send-buffer must be a whole number of bytes, got ${sb}`);
  const task = opts.get('task') ?? null;
  if (task !== null && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(task)) throw new BenchError(`--task must be a task id such as mnist-cnn, got ${task}`);
  const out = opts.get('out') ?? join(defaults.outPrefix, task === null ? preset : `${preset}-${task}`);
  const b = opts.get('backends');
  const backends = b === undefined ? null : b.split(',');
  if (backends !== null && (backends.length === 0 || !backends.every((x) => x === 'webgpu' || x === 'wasm' || x === 'cpu'))) {
    throw new BenchError(`--backends must list Node backends (webgpu, wasm, cpu), got ${b}`);
  }
  const al = opts.get('algorithms');
  const algorithms = al === undefined ? null : al.split(',').map(parseAlgorithm);
  const ps = opts.get('push-share');
  const pushShare = ps === undefined ? null : Number(ps);
  if (pushShare !== null && !(pushShare > 0 && pushShare <= 1)) throw new BenchError(`--push-share must be in (0, 1], got ${ps}`);
  const pm = opts.get('pace-margin');
  const paceMargin = pm === undefined ? null : Number(pm);
  if (paceMargin !== null && !(paceMargin >= 0 && paceMargin <= 16)) throw new BenchError(`--pace-margin must be in [0, 16], got ${pm}`);
  const score = (opts.get('score') ?? 'average') as Score;
  if (!SCORES.includes(score)) throw new BenchError(`--score must be one of ${SCORES.join(', ')}, got ${opts.get('score')}`);
  const en = opts.get('encoding');
  if (en !== undefined && !(RFAST_ENCODING_NAMES as readonly string[]).includes(en)) throw new BenchError(`--encoding must be one of ${RFAST_ENCODING_NAMES.join(', ')}, got ${en}`);
  const encoding = (en ?? null) as RfastEncodingName | null;
  return { preset, out, seed, stepTime, sendBuffer, from: opts.get('from') ?? null, tunedFrom: opts.get('tuned-from') ?? null, algorithms, pushShare, paceMargin, task, backends: backends as BackendName[] | null, score, encoding };
}

/** Writes every file under `out`, creating folders as needed; returns the paths written. */
export async function writeReport(out: string, files: readonly ReportFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const path = join(out, f.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.text);
    written.push(path);
  }
  return written;
}

/** Writes a report's files under `out`, then prints its markdown and what was written, with the minutes since `t0` (performance.now()). */
export async function publishReport(out: string, md: string, files: readonly ReportFile[], t0: number, log: (line: string) => void): Promise<void> {
  const written = await writeReport(out, files);
  log(md);
  log(`wrote ${written.join(', ')} (${((performance.now() - t0) / 60000).toFixed(1)} min)`);
}

/** Runs a bench entry point: a thrown error is printed as "Name: message" and fails the process. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  });
}
