/**
 * One simulated training run: an algorithm on a scenario, driven by the simulator in virtual time
 * with real TF.js gradients; the average model (or, with `score: 'worst-peer'`, every peer's own) is evaluated on the test set at every record.
 */
import { hostileFactory, runSimulationAsync, type AttackSpec, type Ejection, type EndReason, type MembershipChange, type SimObservation } from '@starling/sim';
import type { AlgorithmSettings } from '@starling/sim';
import { algorithmSettings, coreName, type BenchAlgorithm } from './algorithms';
import { BENCH_CONFIG } from './config';
import { timeToTarget, type Curve } from './curves';
import type { BenchTask } from './bench-task';
import { computeModel, networkModel, scenarioId, type Scenario } from './scenarios';

export interface RunPlan {
  scenario: Scenario;
  algorithm: BenchAlgorithm;
  lr: number;
  seed: number;
  /** Calibrated base step time, seconds. */
  stepTime: number;
  /** The fixed time budget, virtual seconds. */
  budget: number;
  targets: readonly number[];
  /** Test images per evaluation during the run (the first ones of the test set). */
  evalCount: number;
  /** Test images for the average model's figure at the budget (peers use evalCount: n evaluations). */
  finalEvalCount: number;
  /** Go on past the budget (see BENCH_CONFIG.extendFactor) until the highest target is reached. */
  extend: boolean;
  /** Bytes a link may queue before unreliable sends are skipped. */
  sendBuffer: number;
  /** Hostile peers (attack matrix): they run `hostileFactory`, and every figure is over the others only. */
  hostile?: AttackSpec;
  /** Settings on top of the algorithm's own (the attack matrix sets `robust`). */
  settings?: Partial<AlgorithmSettings>;
  /** Virtual seconds between the server's verdicts on hostile frames (it ejects whom they convict); absent: no verdicts. */
  refereeInterval?: number;
  /** Joins and leaves during the run (ids below scenario.n: the problem has shards for those only). */
  membership?: MembershipChange[];
  /** How joins reach the peers (SimConfig.joins); absent: as the server does. */
  joins?: 'grow' | 'epoch';
  /** What the curve (and so time to target and tuning) scores; absent: 'average'. */
  score?: Score;
}

/**
 * What a run's accuracy curve scores: the average of the honest peers' models ('average'; no peer
 * holds it), or the worst honest peer's own model ('worst-peer'), which is what the browser bench
 * scores (seconds until every tab is at the target).
 */
export type Score = 'average' | 'worst-peer';
export const SCORES: readonly Score[] = ['average', 'worst-peer'];

/** Figures at the time budget. */
export interface AtBudget {
  /** The scored model (plan.score: average, or the worst peer's) on `evalCount` test images: the curve's value at the budget. */
  accuracy: number;
  /** The same on `finalEvalCount` test images. */
  accuracyFinal: number;
  /** Mean and worst single peer on `evalCount` test images. */
  peerMean: number;
  peerMin: number;
  /** Mean distance of the peers' models to their average. */
  consensus: number;
}

export interface RunOutcome {
  scenario: string;
  algorithm: BenchAlgorithm;
  lr: number;
  seed: number;
  curve: Curve;
  /** Per target (same order as plan.targets): virtual seconds to reach it, null if not reached. */
  timeTo: (number | null)[];
  atBudget: AtBudget | null;
  /** Virtual seconds the run covered. */
  horizon: number;
  endReason: EndReason | 'diverged';
  /** Why the run failed (non-finite values), else null. */
  diverged: string | null;
  stepsPerPeer: number;
  /** Fraction of peer-time spent blocked (waiting for messages). */
  blockedFraction: number;
  mbSentPerPeer: number;
  /** Of the messages sent: lost, skipped at a full send buffer; and retransmissions per message. */
  lossRate: number;
  skipRate: number;
  retransmitsPerMessage: number;
  /** Peers the server's verdict ejected (with a referee), in order. */
  ejections: Ejection[];
  wallSeconds: number;
}

const EPS = 1e-9;

/** What the algorithms and TF.js say when values stopped being finite (a step size too large). */
const NON_FINITE = /NaN|Infinity|non-finite/i;

export async function runOne(task: BenchTask, plan: RunPlan): Promise<RunOutcome> {
  const { scenario: s, budget, stepTime } = plan;
  const wall0 = performance.now();
  const problem = task.problem(s.n, s.split, plan.seed);
  const xbar = new Float32Array(problem.dim);
  const sum = new Float64Array(problem.dim);
  const curve: Curve = { time: [], accuracy: [], loss: [] };
  const top = Math.max(...plan.targets);
  const horizonMax = plan.extend ? budget * BENCH_CONFIG.extendFactor : budget;
  const stepCap = BENCH_CONFIG.extendStepFactor * s.n * (budget / stepTime);
  let atBudget: AtBudget | null = null;

  const average = (o: SimObservation): void => {
    sum.fill(0);
    const peers = honest(o, plan);
    for (const id of peers) {
      const x = o.model(id);
      for (let j = 0; j < sum.length; j++) sum[j] += x[j];
    }
    const inv = 1 / peers.length;
    for (let j = 0; j < sum.length; j++) xbar[j] = sum[j] * inv;
  };

  const observe = async (o: SimObservation): Promise<void | 'stop'> => {
    const t = o.record.time;
    const last = curve.time.length > 0 ? curve.time[curve.time.length - 1] : -1;
    if (t > last + EPS) {
      average(o);
      const e = await scored(task, o, plan, xbar, plan.evalCount);
      curve.time.push(t);
      curve.accuracy.push(e.accuracy);
      curve.loss.push(e.loss);
    }
    const pastBudget = t >= budget - EPS * budget;
    if (atBudget === null && (pastBudget || o.final)) {
      average(o);
      atBudget = await figuresAtBudget(task, o, xbar, plan, curve.accuracy[curve.accuracy.length - 1]);
    }
    if (o.final || !pastBudget) return undefined;
    const reached = curve.accuracy[curve.accuracy.length - 1] >= top;
    if (!plan.extend || reached || t >= horizonMax - EPS * horizonMax || o.record.steps >= stepCap) return 'stop';
    return undefined;
  };

  let diverged: string | null = null;
  let endReason: EndReason | 'diverged' = 'diverged';
  let result: Awaited<ReturnType<typeof runSimulationAsync>> | null = null;
  try {
    result = await runSimulationAsync({
      n: s.n,
      algorithm: coreName(plan.algorithm),
      settings: { ...algorithmSettings(plan.algorithm, plan.lr), ...plan.settings },
      topology: { kind: BENCH_CONFIG.topology },
      problem,
      network: networkModel(s, plan.sendBuffer),
      compute: computeModel(s, stepTime),
      stop: { time: horizonMax },
      record: { interval: budget / BENCH_CONFIG.recordsPerBudget, maxRecords: 4 * BENCH_CONFIG.recordsPerBudget * BENCH_CONFIG.extendFactor, perPeer: false },
      seed: plan.seed,
      observe,
      createAlgorithm: plan.hostile === undefined ? undefined : hostileFactory(plan.hostile, plan.seed),
      referee: plan.refereeInterval === undefined ? undefined : { interval: plan.refereeInterval },
      membership: plan.membership,
      joins: plan.joins,
    });
    endReason = result.endReason;
  } catch (err) {
    // Too large a step: TF.js or the algorithm refuses non-finite values. The curve so far stands.
    // Anything else (a bad setting, a bug) is not a divergence and must not pass for one in a
    // report: it was once a ReferenceError printed as "NaN% at the budget".
    const message = err instanceof Error ? err.message : String(err);
    if (!NON_FINITE.test(message)) throw err;
    diverged = err instanceof Error ? `${err.name}: ${message}` : message;
  }
  const t = result?.totals;
  const sent = t?.messagesSent ?? 0;
  return {
    scenario: scenarioId(s),
    algorithm: plan.algorithm,
    lr: plan.lr,
    seed: plan.seed,
    curve,
    timeTo: plan.targets.map((target) => timeToTarget(curve.time, curve.accuracy, target)),
    atBudget,
    horizon: curve.time.length > 0 ? curve.time[curve.time.length - 1] : 0,
    endReason,
    diverged,
    stepsPerPeer: t ? t.steps / s.n : Number.NaN,
    blockedFraction: t && result ? t.blockedTime / (s.n * result.endTime) : Number.NaN,
    mbSentPerPeer: t ? t.bytesSent / s.n / 1e6 : Number.NaN,
    lossRate: t && sent > 0 ? t.messagesDropped / sent : Number.NaN,
    skipRate: t && sent > 0 ? t.messagesSkipped / sent : Number.NaN,
    retransmitsPerMessage: t && sent > 0 ? t.retransmits / sent : Number.NaN,
    ejections: result?.ejections ?? [],
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

/**
 * The curve's point: the average model's accuracy and loss, or with 'worst-peer' the lowest of the
 * honest peers' own accuracies and the mean of their losses. Benches run classification tasks.
 */
async function scored(task: BenchTask, o: SimObservation, plan: RunPlan, xbar: Float32Array, count: number): Promise<{ accuracy: number; loss: number }> {
  if ((plan.score ?? 'average') === 'average') {
    const e = await task.evaluate(xbar, count);
    return { accuracy: e.accuracy ?? Number.NaN, loss: e.loss };
  }
  const peers = honest(o, plan);
  let worst = Infinity;
  let loss = 0;
  for (const id of peers) {
    const e = await task.evaluate(o.model(id), count);
    worst = Math.min(worst, e.accuracy ?? Number.NaN);
    loss += e.loss / peers.length;
  }
  return { accuracy: worst, loss };
}

async function figuresAtBudget(task: BenchTask, o: SimObservation, xbar: Float32Array, plan: RunPlan, accuracy: number): Promise<AtBudget> {
  const final = plan.finalEvalCount === plan.evalCount ? accuracy : (await scored(task, o, plan, xbar, plan.finalEvalCount)).accuracy;
  let mean = 0;
  let min = Infinity;
  const peers = honest(o, plan);
  for (const id of peers) {
    const a = (await task.evaluate(o.model(id), plan.evalCount)).accuracy ?? Number.NaN;
    mean += a / peers.length;
    min = Math.min(min, a);
  }
  return { accuracy, accuracyFinal: final, peerMean: mean, peerMin: min, consensus: o.record.consensus };
}

/** The live peers every figure is taken over: all of them, less the hostile ones of an attack run. */
function honest(o: SimObservation, plan: RunPlan): readonly number[] {
  const bad = plan.hostile?.ids;
  return bad === undefined ? o.live : o.live.filter((id) => !bad.includes(id));
}
