/**
 * The R-FAST comparison: calibrated compute model, step-size tuning on a short IID run, then every
 * algorithm on every scenario of a preset from the same x0 and seed.
 */
import type { RfastEncodingName } from '@starling/core';
import type { AlgorithmSettings } from '@starling/sim';
import { specName } from '@starling/training';
import { algorithmLabel, coreName, type BenchAlgorithm } from './algorithms';
import { BENCH_CONFIG } from './config';
import { valueAt } from './curves';
import { medianOf } from './report-seeds';
import type { BenchTask, StepTiming } from './bench-task';
import type { ComparisonPreset, TuningPlan } from './presets';
import { runOne, type RunOutcome, type RunPlan, type Score } from './run-one';
import { scenarioId, scenarioLabel, type Scenario } from './scenarios';

export interface TuningTrial {
  lr: number;
  /** Accuracy of the scored model (ComparisonResult.score) at the tuning budget (NaN if the run diverged). */
  accuracy: number;
  diverged: boolean;
}

export interface TuningResult {
  algorithm: BenchAlgorithm;
  trials: TuningTrial[];
  pick: number;
  /** Set when the algorithm took another one's pick. */
  sharedFrom?: BenchAlgorithm;
}

export interface ScenarioResult {
  scenario: Scenario;
  id: string;
  label: string;
  runs: RunOutcome[];
}

export interface ComparisonResult {
  preset: string;
  /** The task every gradient came from (absent in results saved before it was recorded: mnist-mlp 784-64-10). */
  task?: { id: string; title: string; model: string; params: number };
  seed: number;
  backend: string;
  /** The measured step timing and the base step time used (seconds). */
  timing: StepTiming | null;
  stepTime: number;
  sendBuffer: number;
  budget: number;
  targets: readonly number[];
  reference: BenchAlgorithm;
  evalCount: number;
  finalEvalCount: number;
  /** What the curves, times to target and tuning scored (absent in results saved before it was recorded: the average model). */
  score?: Score;
  /** Frames of the R-FAST entry (absent in results saved before it was recorded: f16-i8). */
  rfastEncoding?: RfastEncodingName;
  tuning: TuningResult[] | null;
  tuningBudget: number | null;
  lr: Record<BenchAlgorithm, number>;
  scenarios: ScenarioResult[];
  wallSeconds: number;
}

export interface ComparisonOptions {
  seed: number;
  stepTime: number;
  /** Bytes a link may queue before unreliable sends are skipped (BENCH_CONFIG.network.sendBuffer unless overridden). */
  sendBuffer: number;
  timing: StepTiming | null;
  log: (line: string) => void;
  /** Settings on top of every R-FAST run's own (the push-share ablation). */
  rfastSettings?: Partial<AlgorithmSettings>;
  /** Frames of the R-FAST entry (not of its f32 variant); BENCH_CONFIG.rfastEncoding when absent. */
  rfastEncoding?: RfastEncodingName;
  /** Step sizes picked by an earlier run of the preset (another seed): no tuning this time. */
  tuned?: { lr: Record<BenchAlgorithm, number>; tuning: TuningResult[] | null };
  /** What every run scores (RunPlan.score); default 'average'. */
  score?: Score;
}

/** The best accuracy at the budget wins; ties go to the smaller step. Diverged runs never win. */
export function pickStepSize(trials: readonly TuningTrial[]): number {
  let best: TuningTrial | null = null;
  for (const t of trials) {
    if (t.diverged || !Number.isFinite(t.accuracy)) continue;
    if (best === null || t.accuracy > best.accuracy || (t.accuracy === best.accuracy && t.lr < best.lr)) best = t;
  }
  if (best === null) return Math.min(...trials.map((t) => t.lr));
  return best.lr;
}

/** One step size's runs in a grid timed to a target: seconds per seed (null: not within the cap) and the worst tab's final accuracy per seed. */
export interface TimedTrial {
  lr: number;
  seconds: readonly (number | null)[];
  accuracy: readonly number[];
}

/**
 * The grid pick when the measure is time to a target (the browser bench): the smallest median
 * time over the seeds, a seed that never got there counting as slower than any that did; ties go
 * to the better median final accuracy, then to the smaller step. Null when no trial ever reached
 * the target: then nothing in the grid is a pick, and the report must say so.
 */
export function pickFastestStep(trials: readonly TimedTrial[]): number | null {
  const median = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : medianOf(xs));
  const scored = trials.map((t) => ({
    lr: t.lr,
    seconds: median(t.seconds.map((s) => (s === null || !Number.isFinite(s) ? Number.POSITIVE_INFINITY : s))),
    accuracy: median(t.accuracy.filter(Number.isFinite)),
  }));
  let best: (typeof scored)[number] | null = null;
  for (const t of scored) {
    if (!Number.isFinite(t.seconds)) continue;
    const acc = Number.isNaN(t.accuracy) ? -1 : t.accuracy;
    const bestAcc = best === null || Number.isNaN(best.accuracy) ? -1 : best.accuracy;
    if (best === null || t.seconds < best.seconds || (t.seconds === best.seconds && (acc > bestAcc || (acc === bestAcc && t.lr < best.lr)))) best = t;
  }
  return best === null ? null : best.lr;
}

function plan(p: ComparisonPreset, scenario: Scenario, algorithm: BenchAlgorithm, lr: number, o: ComparisonOptions, budgetSteps: number, extend: boolean): RunPlan {
  return {
    scenario,
    algorithm,
    lr,
    seed: o.seed,
    stepTime: o.stepTime,
    budget: budgetSteps * o.stepTime,
    targets: p.targets,
    evalCount: p.evalCount,
    finalEvalCount: extend ? p.finalEvalCount : p.evalCount,
    extend,
    sendBuffer: o.sendBuffer,
    score: o.score ?? 'average',
    ...(coreName(algorithm) === 'rfast' && (o.rfastSettings !== undefined || o.rfastEncoding !== undefined)
      ? { settings: { ...o.rfastSettings, ...(algorithm === 'rfast' && o.rfastEncoding !== undefined ? { encoding: o.rfastEncoding } : {}) } }
      : {}),
  };
}

async function tune(task: BenchTask, p: ComparisonPreset, t: TuningPlan, o: ComparisonOptions): Promise<TuningResult[]> {
  const out: TuningResult[] = [];
  for (const a of p.algorithms) {
    const grid = t.grid[a];
    if (grid === undefined) continue;
    const trials: TuningTrial[] = [];
    for (const lr of grid) {
      const r = await runOne(task, plan(p, t.scenario, a, lr, o, t.budgetSteps, false));
      const acc = valueAt(r.curve.time, r.curve.accuracy, t.budgetSteps * o.stepTime);
      trials.push({ lr, accuracy: acc, diverged: r.diverged !== null });
      o.log(`tune ${algorithmLabel(a)} lr=${lr}: ${r.diverged ? 'diverged' : `${(100 * acc).toFixed(1)}%`} (${r.wallSeconds.toFixed(0)} s)`);
    }
    out.push({ algorithm: a, trials, pick: pickStepSize(trials) });
  }
  for (const a of p.algorithms) {
    const from = t.shareWith[a];
    const src = from === undefined ? undefined : out.find((r) => r.algorithm === from);
    if (from !== undefined && src !== undefined) out.push({ algorithm: a, trials: [], pick: src.pick, sharedFrom: from });
  }
  return out;
}

export async function runComparison(task: BenchTask, p: ComparisonPreset, o: ComparisonOptions): Promise<ComparisonResult> {
  const wall0 = performance.now();
  const tuning = o.tuned !== undefined ? o.tuned.tuning : p.tuning === null ? null : await tune(task, p, p.tuning, o);
  const lr = { ...p.lr };
  for (const t of tuning ?? []) lr[t.algorithm] = t.pick;
  if (o.tuned !== undefined) Object.assign(lr, o.tuned.lr);
  const scenarios: ScenarioResult[] = [];
  for (const [k, s] of p.scenarios.entries()) {
    const runs: RunOutcome[] = [];
    for (const a of p.algorithms) {
      if (k > 0 && p.firstScenarioOnly.includes(a)) continue;
      const r = await runOne(task, plan(p, s, a, lr[a], o, p.budgetSteps, p.extend));
      runs.push(r);
      const tt = r.timeTo.map((x) => (x === null ? '-' : `${x.toFixed(2)} s`)).join(' / ');
      o.log(`${scenarioId(s)} ${algorithmLabel(a)}: to targets ${tt}, at budget ${((r.atBudget?.accuracy ?? Number.NaN) * 100).toFixed(1)}% (${r.wallSeconds.toFixed(0)} s)`);
    }
    scenarios.push({ scenario: s, id: scenarioId(s), label: scenarioLabel(s), runs });
  }
  return {
    preset: p.name,
    task: { id: task.info.id, title: task.info.title, model: specName(task.spec), params: task.trainer.dim },
    seed: o.seed,
    backend: task.backend,
    timing: o.timing,
    stepTime: o.stepTime,
    sendBuffer: o.sendBuffer,
    budget: p.budgetSteps * o.stepTime,
    targets: p.targets,
    reference: p.reference,
    evalCount: p.evalCount,
    finalEvalCount: p.extend ? p.finalEvalCount : p.evalCount,
    score: o.score ?? 'average',
    rfastEncoding: o.rfastEncoding ?? BENCH_CONFIG.rfastEncoding,
    tuning,
    tuningBudget: p.tuning === null ? null : p.tuning.budgetSteps * o.stepTime,
    lr,
    scenarios,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}
