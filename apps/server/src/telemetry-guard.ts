import type { TelemetryPayload } from '@starling/protocol';
import type { ServerTuning } from './tuning';

/**
 * Physical bounds on a telemetry report. The schema already makes every number finite and
 * non-negative; this checks that the report could be true: counters that only grow, and no faster
 * than a peer can step, send or receive in the time since its previous accepted report (server
 * clock, plus slack for queueing), samples no more than steps x samples per step (batch size x
 * inner steps), a loss a real model can have. A report that fails is refused whole (nothing of it is stored or counted), so the
 * run's totals never take an implausible value.
 */

export type TelemetryBounds = Pick<ServerTuning, 'maxStepsPerSec' | 'maxBytesPerSec' | 'maxFramesPerSec' | 'maxReportedLoss' | 'telemetrySlackMs'>;

export type Plausibility = { ok: true; reset: boolean } | { ok: false; reason: string };

export interface PreviousReport {
  report: TelemetryPayload;
  /** Server time it arrived. */
  at: number;
}

export interface ReportContext {
  now: number;
  samplesPerStep: number;
  /** Earliest time the peer's counters may have started (the run's start; for a peer moved from another run, that run's). */
  countingSince: number;
  /**
   * A peer moved in from the previous run restarts its counters once it has the new welcome: one
   * drop of its counters, to a count it could have made since `movedAt`, is a reset, not a lie.
   */
  movedAt?: number;
}

/** Counters that only grow while the peer keeps its id; `framesLost` / `framesRejected` may be reset by the algorithm. */
const GROWING = ['steps', 'samples', 'bytesSent', 'bytesReceived', 'framesSent', 'framesReceived'] as const;

export function checkTelemetry(t: TelemetryPayload, prev: PreviousReport | undefined, ctx: ReportContext, b: TelemetryBounds): Plausibility {
  if (t.loss !== null && (t.loss < 0 || t.loss > b.maxReportedLoss)) return no(`loss ${t.loss} is outside [0, ${b.maxReportedLoss}]`);
  if (t.stepsPerSec > b.maxStepsPerSec) return no(`stepsPerSec ${t.stepsPerSec} is above the bound of ${b.maxStepsPerSec}`);
  if (prev !== undefined && t.steps < prev.report.steps && ctx.movedAt !== undefined) {
    // The reset of a moved peer: judged as a first report counted from the move.
    const r = checkSpan(t, undefined, ctx.now - ctx.movedAt, ctx, b);
    return r.ok ? { ok: true, reset: true } : r;
  }
  const span = prev === undefined ? ctx.now - ctx.countingSince : ctx.now - prev.at;
  // A moved peer's first report may still count the previous run's samples, at that run's samples per step.
  const samplesPerStep = prev === undefined && ctx.movedAt !== undefined ? Infinity : ctx.samplesPerStep;
  return checkSpan(t, prev?.report, span, { ...ctx, samplesPerStep }, b);
}

function checkSpan(t: TelemetryPayload, prev: TelemetryPayload | undefined, spanMs: number, ctx: ReportContext, b: TelemetryBounds): Plausibility {
  const seconds = (Math.max(0, spanMs) + b.telemetrySlackMs) / 1000;
  const grew = (k: keyof TelemetryPayload) => (t[k] as number) - (prev === undefined ? 0 : (prev[k] as number));
  if (prev !== undefined) {
    for (const k of GROWING) if (grew(k) < 0) return no(`${k} went down from ${prev[k]} to ${t[k]}`);
  }
  const steps = grew('steps');
  if (steps > b.maxStepsPerSec * seconds) return no(`${steps} steps in ${seconds.toFixed(1)} s is above ${b.maxStepsPerSec} steps/s`);
  const samples = grew('samples');
  if (samples > (steps + 1) * ctx.samplesPerStep) return no(`${samples} samples for ${steps} steps of at most ${ctx.samplesPerStep} samples each`);
  for (const k of ['bytesSent', 'bytesReceived'] as const) {
    if (grew(k) > b.maxBytesPerSec * seconds) return no(`${k} grew by ${grew(k)} in ${seconds.toFixed(1)} s, above ${b.maxBytesPerSec} bytes/s`);
  }
  for (const k of ['framesSent', 'framesReceived', 'framesLost', 'framesRejected'] as const) {
    if (grew(k) > b.maxFramesPerSec * seconds) return no(`${k} grew by ${grew(k)} in ${seconds.toFixed(1)} s, above ${b.maxFramesPerSec} frames/s`);
  }
  // Both are time spent since the previous report; a single-threaded peer cannot spend much more than the wall time.
  if (t.computeMs + t.commMs > 2 * seconds * 1000) return no(`computeMs + commMs = ${t.computeMs + t.commMs} in ${seconds.toFixed(1)} s of wall time`);
  return { ok: true, reset: false };
}

function no(reason: string): Plausibility {
  return { ok: false, reason };
}
