/**
 * Timely gossip at scale (arXiv 2404.19749, docs/algorithms.md section 3): gossip local SGD on the
 * simulator's least-squares problem for growing n, with a fixed fanout against ceil(c ln n). The
 * simulator records the true version age (N_j - VV_i[j] over all ordered pairs of peers); this
 * averages its mean and p95 over the records after a warm-up, when the ages are stationary.
 */
import { runSimulation, type ProblemSpec, type SimRecord } from '@starling/sim';
import { BenchError } from './errors';

export interface GossipVariant {
  label: string;
  /** Fixed fanout, or c in ceil(c ln n). */
  fanout?: number;
  fanoutC?: number;
}

export const GOSSIP_VARIANTS: readonly GossipVariant[] = [
  { label: 'fixed f = 1', fanout: 1 },
  { label: 'f = ceil(ln n)', fanoutC: 1 },
  { label: 'f = ceil(2 ln n)', fanoutC: 2 },
];

export interface GossipScalingPlan {
  ns: readonly number[];
  variants: readonly GossipVariant[];
  /** Versions (local steps, H = 1) each peer completes. */
  versions: number;
  /** Fraction of the run ignored before ages are averaged. */
  warmup: number;
  /** Records per run (each costs O(n^2) for the ages). */
  records: number;
  lr: number;
  problem: ProblemSpec;
  /** Base step time (seconds) and one-way latency of the simulator's models. */
  stepTime: number;
  latency: number;
  seed: number;
}

export interface GossipPoint {
  n: number;
  variant: string;
  fanout: number;
  /** Mean over steady-state records of the mean and of the p95 version age; max over them of the max. */
  meanAge: number;
  p95Age: number;
  maxAge: number;
  /** The toy model's prediction H_{n-1} / f (docs/algorithms.md section 3). */
  predictedAge: number;
  /** F(xbar) - F* and mean ||x_i - x*|| / ||x*|| at the end. */
  gap: number;
  relErrorMean: number;
  events: number;
  wallSeconds: number;
}

/** The fanout a variant gives at n peers (core's rule: clipped to the n - 1 others). */
export function fanoutFor(v: GossipVariant, n: number): number {
  if (v.fanout !== undefined) return Math.min(n - 1, v.fanout);
  if (v.fanoutC === undefined) throw new BenchError(`gossip variant '${v.label}' needs fanout or fanoutC`);
  return Math.min(n - 1, Math.ceil(v.fanoutC * Math.log(n)));
}

/** Harmonic number H_m = 1 + 1/2 + ... + 1/m. */
export function harmonic(m: number): number {
  let h = 0;
  for (let k = 1; k <= m; k++) h += 1 / k;
  return h;
}

/** Mean / p95 / max of the version ages over the records at or after `from`. */
export function steadyAges(records: readonly SimRecord[], from: number): { mean: number; p95: number; max: number } {
  let mean = 0;
  let p95 = 0;
  let max = 0;
  let k = 0;
  for (const r of records) {
    if (r.time < from || r.versionAge === undefined) continue;
    mean += r.versionAge.mean;
    p95 += r.versionAge.p95;
    max = Math.max(max, r.versionAge.max);
    k++;
  }
  if (k === 0) throw new BenchError(`no record with version ages after t = ${from}; lengthen the run or lower the warm-up`);
  return { mean: mean / k, p95: p95 / k, max };
}

export function runGossipPoint(plan: GossipScalingPlan, n: number, v: GossipVariant): GossipPoint {
  if (!Number.isInteger(n) || n < 2) throw new BenchError(`gossip scaling needs n >= 2, got ${n}`);
  const wall0 = performance.now();
  const duration = plan.versions * plan.stepTime;
  const r = runSimulation({
    n,
    algorithm: 'gossip',
    settings: { lr: plan.lr, localSteps: 1, fanout: v.fanout, fanoutC: v.fanoutC },
    // Gossip ignores the edges; the ring is the cheapest valid member list at any n.
    topology: { kind: 'ring' },
    problem: plan.problem,
    network: { latency: plan.latency, jitter: plan.latency / 2 },
    compute: { stepTime: plan.stepTime, jitter: 0.1 },
    stop: { stepsPerPeer: plan.versions },
    record: { interval: duration / plan.records, maxRecords: 2 * plan.records + 2, perPeer: false },
    seed: plan.seed,
  });
  const f = fanoutFor(v, n);
  const ages = steadyAges(r.records, plan.warmup * duration);
  return {
    n,
    variant: v.label,
    fanout: f,
    meanAge: ages.mean,
    p95Age: ages.p95,
    maxAge: ages.max,
    predictedAge: harmonic(n - 1) / f,
    gap: r.final.gap,
    relErrorMean: r.final.relErrorMean,
    events: r.events,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}
