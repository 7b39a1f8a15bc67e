import type { XMode } from './run-series';
import { alignSeries, downsampleMinMax, type Columns } from './series';
import { metricView, type MetricView } from './metric';
import type { Evaluation, MetricPoint } from './types';

/**
 * Server evaluations (test accuracy / loss of peers' snapshots) and the run-comparison overlay.
 * Evaluations are rare (one per snapshot interval), so a sorted array with a thinning cap suffices.
 */

const key = (e: Evaluation) => `${e.t}:${e.peerId}`;

/** Merge new evaluations into a sorted, de-duplicated list; past `cap`, every other old one goes. */
export function mergeEvaluations(current: readonly Evaluation[], incoming: readonly Evaluation[], cap: number): Evaluation[] {
  const seen = new Set(current.map(key));
  const out = [...current];
  let unsorted = false;
  for (const e of incoming) {
    if (!isEvaluation(e) || seen.has(key(e))) continue;
    seen.add(key(e));
    if (out.length > 0 && e.t < out[out.length - 1].t) unsorted = true;
    out.push(e);
  }
  if (unsorted) out.sort((a, b) => a.t - b.t);
  if (out.length <= cap) return out;
  const half = Math.floor(out.length / 2);
  return [...out.slice(0, half).filter((_, i) => i % 2 === 1), ...out.slice(half)];
}

function isEvaluation(e: Evaluation): boolean {
  // Regression tasks have no accuracy (null). A rejected snapshot's loss may be null (NaN / Infinity on the server): it is still listed.
  return Number.isFinite(e.t) && (e.accuracy === null || Number.isFinite(e.accuracy)) && (e.loss === null || Number.isFinite(e.loss)) && Number.isFinite(e.samples);
}

/** Evaluations of snapshots the server trusted (the charts and figures); rejected ones are listed apart. */
export function trustedEvaluations(evals: readonly Evaluation[]): Evaluation[] {
  return evals.filter((e) => e.verdict !== 'rejected');
}

/** Snapshots the server refused as checkpoints, newest first, with their reasons. */
export function rejectedEvaluations(evals: readonly Evaluation[]): Evaluation[] {
  return evals.filter((e) => e.verdict === 'rejected').reverse();
}

/** Whether the run has a checkpoint (one evaluation became it). */
export function hasCheckpoint(evals: readonly Evaluation[]): boolean {
  return evals.some((e) => e.verdict === 'checkpoint');
}

/** `ys[0]` the task's metric (accuracy 0-1 by default), `ys[1]` test loss; x in seconds or samples. */
export function evaluationColumns(evals: readonly Evaluation[], xMode: XMode, metric: MetricView = metricView('accuracy')): Columns {
  const sorted = xMode === 'time' ? evals : [...evals].sort((a, b) => a.samples - b.samples);
  return {
    x: sorted.map((e) => (xMode === 'time' ? e.t / 1000 : e.samples)),
    ys: [sorted.map((e) => metric.value(e)), sorted.map((e) => e.loss)],
  };
}

/** The newest trusted evaluation. */
export function latestEvaluation(evals: readonly Evaluation[]): Evaluation | null {
  for (let i = evals.length - 1; i >= 0; i--) if (evals[i].verdict !== 'rejected') return evals[i];
  return null;
}

export interface RunCurves {
  runId: string;
  metrics: readonly MetricPoint[];
  evaluations: readonly Evaluation[];
}

/**
 * Several runs on one samples axis: `kind` 'accuracy' gives each run's evaluated accuracy,
 * 'loss' each run's mean training loss; `ys[k]` belongs to `runs[k]`.
 */
export function comparisonColumns(runs: readonly RunCurves[], kind: 'accuracy' | 'loss', maxPoints: number): Columns {
  const series = runs.map((r) => {
    if (kind === 'accuracy') {
      const e = trustedEvaluations(r.evaluations).sort((a, b) => a.samples - b.samples);
      return { x: e.map((p) => p.samples), y: e.map((p) => p.accuracy) };
    }
    const m = [...r.metrics].sort((a, b) => a.samples - b.samples);
    return { x: m.map((p) => p.samples), y: m.map((p) => p.meanLoss) };
  });
  return downsampleMinMax(alignSeries(series), maxPoints);
}
