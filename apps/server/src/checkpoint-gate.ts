import type { PeerId } from '@starling/core';
import { initialParams, ioOf, specName, type ModelSpec } from '@starling/training';
import type { ServerTuning } from './tuning';

/**
 * Whether an evaluated snapshot may become the run's checkpoint, the model every joiner starts
 * from and the admin downloads. Any volunteer can upload, so the server trusts only what it
 * measured itself: a finite loss, not far worse than the run's recent best (before there is one,
 * than chance), and a parameter norm that agrees with other peers' recent snapshots and is never
 * wildly above the run's initial model, so a garbage *first* snapshot cannot become the baseline.
 */

export type GateTuning = Pick<
  ServerTuning,
  'checkpointMaxAccuracyDrop' | 'checkpointMaxLossRise' | 'checkpointMaxLossRatio' | 'checkpointLossSlack' | 'checkpointMaxNormRatio' | 'checkpointMaxNormVsInitial'
>;

/** Measured on upload, in the same pass as the finiteness check. */
export interface ParamStats {
  /** L2 norm (accumulated in float64). */
  norm: number;
  maxAbs: number;
}

export interface GateContext {
  /** Best loss and accuracy (null for regression) of the run's trusted evaluations in the recent window; undefined before any. */
  best: { loss: number; accuracy: number | null } | undefined;
  /** Loss of guessing uniformly, ln(classes); undefined for regression (no such reference). */
  chanceLoss: number | undefined;
  /** Norm of the run's initial model (every peer starts there). */
  initialNorm: number;
  /** Median norm of other peers' recent snapshots, and how many peers it is over; undefined without any. */
  consensus: { norm: number; peers: number } | undefined;
}

export type Verdict = { trusted: true } | { trusted: false; reason: string };

export function judgeSnapshot(e: { loss: number; accuracy: number | null }, stats: ParamStats, ctx: GateContext, t: GateTuning): Verdict {
  if (!Number.isFinite(e.loss)) return distrust(`its test loss is ${e.loss}`);
  if (e.accuracy !== null && !Number.isFinite(e.accuracy)) return distrust(`its test accuracy is ${e.accuracy}`);
  const normCap = ctx.initialNorm * t.checkpointMaxNormVsInitial;
  if (!(stats.norm <= normCap)) {
    return distrust(`its parameter norm ${fmt(stats.norm)} is above ${t.checkpointMaxNormVsInitial} x the initial model's ${fmt(ctx.initialNorm)}`);
  }
  if (ctx.consensus !== undefined) {
    const { norm, peers } = ctx.consensus;
    const r = t.checkpointMaxNormRatio;
    if (stats.norm > norm * r || stats.norm < norm / r) {
      return distrust(`its parameter norm ${fmt(stats.norm)} is not within ${r}x of ${fmt(norm)}, the median of ${peers} other peer(s)' recent snapshots`);
    }
  }
  const refLoss = ctx.best?.loss ?? ctx.chanceLoss;
  if (refLoss !== undefined) {
    const lossCap = refLoss * t.checkpointMaxLossRatio + t.checkpointLossSlack;
    if (e.loss > lossCap) {
      const ref = ctx.best === undefined ? `chance level (${fmt(refLoss)})` : `the run's recent best ${fmt(refLoss)}`;
      return distrust(`its test loss ${fmt(e.loss)} is far above ${ref}; the limit is ${fmt(lossCap)}`);
    }
  }
  const best = ctx.best;
  if (best !== undefined && e.accuracy !== null && best.accuracy !== null && e.accuracy < best.accuracy - t.checkpointMaxAccuracyDrop) {
    return distrust(`its test accuracy ${e.accuracy.toFixed(4)} is more than ${t.checkpointMaxAccuracyDrop} below the run's recent best ${best.accuracy.toFixed(4)}`);
  }
  // Without an accuracy (regression) the loss is all there is: a tighter bound on its rise.
  if (best !== undefined && e.accuracy === null && e.loss > best.loss * (1 + t.checkpointMaxLossRise)) {
    return distrust(`its test loss ${fmt(e.loss)} is more than ${t.checkpointMaxLossRise * 100}% above the run's recent best ${fmt(best.loss)}`);
  }
  return { trusted: true };
}

function distrust(reason: string): Verdict {
  return { trusted: false, reason };
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}

/** L2 norm and max |x|; NaN / Infinity make the result non-finite (and the caller refuses them earlier). */
export function paramStats(x: Float32Array): ParamStats {
  let sum = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    sum += v * v;
    const a = v < 0 ? -v : v;
    if (a > maxAbs) maxAbs = a;
  }
  return { norm: Math.sqrt(sum), maxAbs };
}

const initialNorms = new Map<string, number>();

/** The norm of `initialParams(spec, seed)`, computed once per model and seed. */
export function initialNormOf(spec: ModelSpec, seed: number): number {
  const key = `${specName(spec)}/${seed}`;
  let n = initialNorms.get(key);
  if (n === undefined) {
    if (initialNorms.size > 64) initialNorms.clear();
    n = paramStats(initialParams(spec, seed)).norm;
    initialNorms.set(key, n);
  }
  return n;
}

/** ln(number of classes): the loss of a model that guesses uniformly; undefined for regression. */
export function chanceLossOf(spec: ModelSpec): number | undefined {
  const o = ioOf(spec).objective;
  return o.kind === 'regression' ? undefined : Math.log(o.classes);
}

/**
 * The latest snapshot norm of each peer, for the consensus. Only recent ones count (peers' models
 * move), and a norm already refused against the initial model never enters it.
 */
export class NormConsensus {
  private readonly latest = new Map<PeerId, { norm: number; t: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxPeers = 4096,
  ) {}

  note(peerId: PeerId, norm: number, t: number): void {
    this.latest.delete(peerId);
    this.latest.set(peerId, { norm, t });
    // Map order is insertion order: the first entry is the one noted longest ago.
    while (this.latest.size > this.maxPeers) this.latest.delete(this.latest.keys().next().value!);
  }

  /** The lower median of the other peers' recent norms (robust to a minority of wild values). */
  of(peerId: PeerId, now: number): { norm: number; peers: number } | undefined {
    const norms: number[] = [];
    for (const [id, n] of this.latest) {
      if (now - n.t > this.windowMs) this.latest.delete(id);
      else if (id !== peerId) norms.push(n.norm);
    }
    if (norms.length === 0) return undefined;
    norms.sort((a, b) => a - b);
    return { norm: norms[(norms.length - 1) >> 1], peers: norms.length };
  }
}
