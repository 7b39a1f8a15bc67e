/**
 * Choosing a backend by speed, not by name. A software GPU (SwiftShader, llvmpipe) passes every
 * correctness check and is still 5x slower than WebAssembly on the same CPU; WebGPU on a real GPU can
 * be slower than WebGL for a small model. So every backend that works is timed on a few gradient
 * steps of the run's own model at the run's batch size, and the fastest one trains.
 */
import * as tf from './tf';
import { backendFailure, selectBackend, type BackendAttempt, type BackendName, type BackendReport, type SelectBackendOptions } from './backend';
import { TRAINING_DEFAULTS, type SpeedTrialConfig } from './config';
import { diagnoseWebGpu, isSoftwareDevice, probeGpuDevice } from './device';
import { BackendError } from './errors';
import type { ModelSpec } from './spec';
import { Trainer } from './trainer';

/** Why a software GPU backend was not timed once wasm was. */
function softwareReason(device: string | undefined): string {
  return `not timed: a software adapter (${device ?? 'no GPU'}) emulates a GPU on the CPU that wasm already uses directly`;
}

/** One timed backend. */
export interface SpeedTrialResult {
  name: BackendName;
  stepsPerSec: number;
  /** Adapter / renderer, when the platform says. */
  device?: string;
  software: boolean;
}

export interface FastestTrainerOptions {
  /** Candidates; each one that initialises, passes the self-check and trains the model is timed. */
  backends: readonly BackendName[];
  backendOptions?: SelectBackendOptions;
  /** Examples per step, as the run will use them. */
  batchSize: number;
  trial?: Partial<SpeedTrialConfig>;
  /** Told before each candidate is tried, for a status line ("timing webgl…"). */
  onTrial?: (name: BackendName) => void;
}

/**
 * Steps per second of `trainer` on a zero batch: warm-up steps first (shader compilation), then
 * timed ones; after `giveUpMs` of timed steps it stops (at least one step is always timed).
 */
export async function timeSteps(trainer: Trainer, batchSize: number, trial: SpeedTrialConfig, giveUpMs = Infinity): Promise<number> {
  const x = new Float32Array(trainer.dim);
  const out = new Float32Array(trainer.dim);
  // Zeros are a valid input for every task: pixel 0, token 0, class 0, target 0.
  const xs = new Float32Array(batchSize * trainer.io.inputSize);
  const ys = trainer.io.objective.kind === 'regression' ? new Float32Array(batchSize * trainer.io.targetSize) : new Int32Array(batchSize * trainer.io.targetSize);
  for (let i = 0; i < trial.warmupSteps; i++) await trainer.gradient(x, xs, ys, batchSize, out);
  const started = performance.now();
  let steps = 0;
  let elapsed = 0;
  // Past giveUpMs the candidate has lost to one timed before it: one step is then enough to say so.
  while ((steps < trial.minSteps && elapsed < giveUpMs) || (steps < trial.maxSteps && elapsed < trial.measureMs)) {
    await trainer.gradient(x, xs, ys, batchSize, out);
    steps++;
    elapsed = performance.now() - started;
  }
  return (steps * 1000) / Math.max(elapsed, 1e-3);
}

/**
 * `backends` with wasm first, the order in which the speed trial tries them. wasm is the usual
 * winner without a real GPU, and once it is timed a slower candidate can stop after one step. A
 * peer that checks a backend works before it knows the run's model checks them in this order too:
 * the wasm it initialises then is the one the trial times first, where a GPU backend checked first
 * would be initialised (shaders compiled) only to be skipped as software.
 */
export function wasmFirst(backends: readonly BackendName[]): BackendName[] {
  return [...backends.filter((b) => b === 'wasm'), ...backends.filter((b) => b !== 'wasm')];
}

/**
 * Builds a Trainer for `spec` on the fastest working backend of `opts.backends`. Each candidate is
 * built (init, self-check, kernel probe) and timed; 'cpu' is tried only when nothing else works (it
 * is the plain-JS fallback) unless `trial.timeCpu`. The winner is built again last, so it is the backend TF.js has active.
 * The report's attempts carry every candidate's outcome and measured speed. Throws BackendError
 * when no candidate works.
 */
export async function createFastestTrainer(spec: ModelSpec, opts: FastestTrainerOptions): Promise<{ trainer: Trainer; trials: SpeedTrialResult[] }> {
  const trial = { ...TRAINING_DEFAULTS.speedTrial, ...opts.trial };
  const attempts: BackendAttempt[] = [];
  const trials: SpeedTrialResult[] = [];
  let last: Trainer | null = null;
  const ordered = wasmFirst(opts.backends);
  const candidates = trial.timeCpu ? ordered : ordered.filter((b) => b !== 'cpu');
  const fallbacks = trial.timeCpu ? [] : ordered.filter((b) => b === 'cpu');
  // The platform names each GPU adapter without TF.js; asked up front, it tells whether wasm has a
  // rival at all. Without one (no adapter, or a software one) wasm's figure decides nothing, so it
  // is timed for minSteps only: four tabs starting on two cores each save most of measureMs.
  const probed = new Map<BackendName, string | undefined>();
  let rivals = 0;
  for (const name of candidates) {
    if (name === 'wasm') continue;
    if (name !== 'webgl' && name !== 'webgpu') {
      rivals++;
      continue;
    }
    const device = await probeGpuDevice(name);
    probed.set(name, device);
    const absent = name === 'webgpu' && (await diagnoseWebGpu()) !== undefined; // no adapter
    if (!absent && !isSoftwareDevice(device)) rivals++;
  }
  for (const name of [...candidates, ...fallbacks]) {
    if (!trial.timeCpu && name === 'cpu' && trials.length > 0) {
      attempts.push({ name, ok: false, reason: 'not tried: a faster backend works (cpu is the last resort)' });
      continue;
    }
    opts.onTrial?.(name);
    if (trials.some((t) => t.name === 'wasm') && (name === 'webgl' || name === 'webgpu')) {
      // Initialise and self-check only, to read the adapter: a software one (SwiftShader) runs on
      // the same CPU as wasm through an emulation layer (5x slower here, e2e/first-minute.spec.ts),
      // and building and timing the model on it costs seconds of shader compilation per tab. The
      // platform names the adapter without TF.js; only when it does not is the backend initialised.
      const device = probed.get(name);
      if (isSoftwareDevice(device)) {
        attempts.push({ name, ok: false, reason: softwareReason(device) });
        continue;
      }
      let sw: BackendReport;
      try {
        sw = await selectBackend([name], opts.backendOptions);
      } catch (e) {
        if (!(e instanceof BackendError)) throw e;
        attempts.push(...e.attempts);
        continue;
      }
      if (sw.software === true) {
        attempts.push({ name, ok: false, reason: softwareReason(sw.device) });
        continue;
      }
    }
    let trainer: Trainer;
    try {
      trainer = await Trainer.create(spec, { backends: [name], backendOptions: opts.backendOptions });
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      attempts.push(...e.attempts);
      continue;
    }
    const device = trainer.backendReport?.device;
    let stepsPerSec: number;
    try {
      const bestRate = trials.reduce((m, t) => Math.max(m, t.stepsPerSec), 0);
      const alone = name === 'wasm' && rivals === 0;
      stepsPerSec = await timeSteps(trainer, opts.batchSize, alone ? { ...trial, measureMs: 0 } : trial, bestRate > 0 ? (trial.giveUpFactor * 1000) / bestRate : Infinity);
    } catch (e) {
      await trainer.dispose();
      attempts.push({ name, ok: false, reason: `failed a timed training step: ${e instanceof Error ? e.message : String(e)}` });
      continue;
    }
    const software = isSoftwareDevice(device);
    trials.push(device === undefined ? { name, stepsPerSec, software } : { name, stepsPerSec, device, software });
    attempts.push({ name, ok: true, reason: `works: ${stepsPerSec.toFixed(1)} steps/s on this model${software ? ' (software GPU emulation on the CPU)' : ''}`, stepsPerSec });
    await last?.dispose();
    last = trainer;
  }
  if (trials.length === 0) throw backendFailure(opts.backends, attempts);
  const best = trials.reduce((a, b) => (b.stepsPerSec > a.stepsPerSec ? b : a));
  for (const a of attempts) if (a.ok && a.name !== best.name) a.reason = `${a.reason}; slower than ${best.name}`;
  const report = { backend: best.name, attempts, ...(best.device === undefined ? {} : { device: best.device }), software: best.software };
  if (last !== null && last.backend === best.name) {
    // A later candidate (skipped, or one that failed to build) may have left its backend active.
    if (tf.getBackend() !== best.name && !(await tf.setBackend(best.name))) throw new BackendError(`could not switch back to ${best.name} after the speed trial`, attempts);
    last.backendReport = report;
    return { trainer: last, trials };
  }
  await last?.dispose();
  const rebuilt = await Trainer.create(spec, { backends: [best.name], backendOptions: opts.backendOptions });
  rebuilt.backendReport = report;
  return { trainer: rebuilt, trials };
}
