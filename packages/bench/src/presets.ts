/**
 * The quick preset (CI smoke: every algorithm on one small scenario, a table in a couple of
 * minutes) and the full preset (the published figures). Budgets are given in base step times, so
 * a run costs the same number of real gradients whatever the calibration says.
 */
import type { ProblemSpec } from '@starling/sim';
import { BENCH_ALGORITHMS, type BenchAlgorithm } from './algorithms';
import { BenchError } from './errors';
import { GOSSIP_VARIANTS, type GossipScalingPlan } from './gossip-scaling';
import { oneAtATime, type Scenario } from './scenarios';

export interface TuningPlan {
  scenario: Scenario;
  /** Step sizes tried per algorithm; the pick is the best accuracy at the tuning budget. */
  grid: Partial<Record<BenchAlgorithm, readonly number[]>>;
  /** Algorithms that take another one's pick instead of their own grid (the same algorithm, sent differently). */
  shareWith: Partial<Record<BenchAlgorithm, BenchAlgorithm>>;
  budgetSteps: number;
}

export interface ComparisonPreset {
  name: string;
  /** The built-in task the preset is made for (`--task` overrides it); BENCH_CONFIG.task when absent. */
  task?: string;
  scenarios: readonly Scenario[];
  algorithms: readonly BenchAlgorithm[];
  /** Algorithms run on the first scenario only (a variant whose behaviour the others would only repeat). */
  firstScenarioOnly: readonly BenchAlgorithm[];
  /** Ratios are taken against this algorithm. */
  reference: BenchAlgorithm;
  /** The fixed time budget, in base step times. */
  budgetSteps: number;
  targets: readonly number[];
  /** Test images per evaluation during runs, and for the figures at the budget. */
  evalCount: number;
  finalEvalCount: number;
  /** Let runs that missed the top target go on past the budget (BENCH_CONFIG.extendFactor). */
  extend: boolean;
  /** Step sizes when there is no tuning, and for algorithms without a grid. */
  lr: Record<BenchAlgorithm, number>;
  tuning: TuningPlan | null;
}

const BASE: Scenario = { n: 8, split: 'iid', straggle: 'none', loss: 0 };

/** The picks of the full preset's tuning (results/full/comparison.md), reused where nothing is tuned. */
const TUNED_LR: Record<BenchAlgorithm, number> = {
  rfast: 0.6,
  'rfast-f32': 0.6,
  allreduce: 0.5,
  dpsgd: 0.3,
  adpsgd: 0.3,
  osgp: 0.1,
  gossip: 0.6,
  solo: 0.3,
};

export const QUICK: ComparisonPreset = {
  name: 'quick',
  scenarios: [BASE],
  algorithms: BENCH_ALGORITHMS,
  firstScenarioOnly: [],
  reference: 'rfast',
  budgetSteps: 150,
  targets: [0.6, 0.7],
  evalCount: 1000,
  finalEvalCount: 1000,
  extend: false,
  lr: TUNED_LR,
  tuning: null,
};

export const FULL: ComparisonPreset = {
  name: 'full',
  scenarios: oneAtATime(BASE, { split: ['noniid'], straggle: ['one-slow', 'quarter-slow', 'pauses'], loss: [0.1, 0.3], n: [16] }),
  algorithms: BENCH_ALGORITHMS,
  firstScenarioOnly: ['rfast-f32'],
  reference: 'rfast',
  budgetSteps: 500,
  targets: [0.85, 0.9],
  evalCount: 2000,
  finalEvalCount: 10_000,
  extend: true,
  lr: TUNED_LR,
  tuning: {
    scenario: BASE,
    grid: {
      rfast: [0.3, 0.6, 1],
      allreduce: [0.2, 0.5, 1],
      dpsgd: [0.1, 0.3, 0.6],
      adpsgd: [0.1, 0.3, 0.6],
      osgp: [0.1, 0.3, 0.6],
      gossip: [0.1, 0.3, 0.6],
    },
    shareWith: { 'rfast-f32': 'rfast' },
    budgetSteps: 150,
  },
};

/** One step-size grid for every algorithm: log-spaced, a factor 2 apart (issue 9: the same effort for all). */
export const SHARED_LR_GRID = [0.1, 0.2, 0.4, 0.8, 1.6] as const;

const HOME_BASE: Scenario = { ...BASE, profile: 'home' };

/**
 * The scenarios where R-FAST's robustness should tell, around `base`: a straggler, random pauses,
 * 30% loss and non-IID shards; every algorithm, solo included, tuned on the same grid on `base`
 * over the whole budget (on home links a synchronous round costs ~0.25 s, so at a third of it
 * AllReduce and D-PSGD would have taken two steps and the largest step would always win).
 */
function volunteerScenarios(base: Scenario): Pick<ComparisonPreset, 'scenarios' | 'tuning'> {
  return {
    scenarios: oneAtATime(base, { split: ['noniid'], straggle: ['one-slow', 'pauses'], loss: [0.3] }),
    tuning: {
      scenario: base,
      grid: Object.fromEntries(BENCH_ALGORITHMS.filter((a) => a !== 'rfast-f32').map((a) => [a, SHARED_LR_GRID])),
      shareWith: { 'rfast-f32': 'rfast' },
      budgetSteps: FULL.budgetSteps,
    },
  };
}

/**
 * Volunteers' links (the `home` profile: 2.5 MB/s uplink shared by a peer's links, 20 ms one way),
 * with the full preset's budget, targets and evaluation.
 */
export const HOME: ComparisonPreset = { ...FULL, name: 'home', ...volunteerScenarios(HOME_BASE) };

/**
 * The same on loopback links (the measured per-link model: 40 MB/s per link, 5 ms), tuned there:
 * issue 9 asks for the same grid on each link profile, and the full preset's older grids are per
 * algorithm and have 3 points.
 */
export const LOOPBACK: ComparisonPreset = { ...FULL, name: 'loopback', ...volunteerScenarios(BASE) };

/**
 * The CNN grid: log-spaced like SHARED_LR_GRID, a factor 4 lower. The LeNet trained in tabs at 0.15
 * (BENCHMARKS section 6), and solo fell to 13% at this grid's top step, 0.4 (results/cnn).
 */
export const CNN_LR_GRID = [0.025, 0.05, 0.1, 0.2, 0.4] as const;

const CNN_BASE: Scenario = { n: 4, split: 'iid', straggle: 'one-slow', loss: 0, profile: 'home' };

/**
 * Issue 10's compute-bound regime: mnist-cnn (54,314 parameters, about the MLP's size on the wire;
 * 74 ms a step on one core's wasm, 16-21x the MLP's), set up like the browser comparison: 4 peers,
 * one 4x slower, on home links and on loopback. Every algorithm, solo included, tuned on one grid
 * on the home scenario; a budget of 150 base step times (R-FAST's
 * average model ended at 90.6-94.2% over 3 seeds and both profiles, results/cnn/seeds.md).
 */
export const CNN: ComparisonPreset = {
  name: 'cnn',
  task: 'mnist-cnn',
  scenarios: [CNN_BASE, { ...CNN_BASE, profile: 'loopback' }],
  algorithms: BENCH_ALGORITHMS,
  firstScenarioOnly: ['rfast-f32'],
  reference: 'rfast',
  budgetSteps: 150,
  targets: [0.9, 0.95],
  evalCount: 1000,
  finalEvalCount: 1000,
  extend: false,
  lr: TUNED_LR,
  tuning: {
    scenario: CNN_BASE,
    grid: Object.fromEntries(BENCH_ALGORITHMS.filter((a) => a !== 'rfast-f32').map((a) => [a, CNN_LR_GRID])),
    shareWith: { 'rfast-f32': 'rfast' },
    budgetSteps: 150,
  },
};

export const COMPARISON_PRESETS: Record<string, ComparisonPreset> = { quick: QUICK, full: FULL, home: HOME, loopback: LOOPBACK, cnn: CNN };

const LS: ProblemSpec = { kind: 'least-squares', dim: 10, samplesPerPeer: 20, heterogeneity: 0.5, batchSize: 4 };

const GOSSIP_BASE = { variants: GOSSIP_VARIANTS, warmup: 0.3, lr: 0.05, problem: LS, stepTime: 0.05, latency: 0.005, seed: 1 };

export const GOSSIP_PRESETS: Record<string, GossipScalingPlan> = {
  quick: { ...GOSSIP_BASE, ns: [16, 64, 256], versions: 30, records: 10 },
  full: { ...GOSSIP_BASE, ns: [16, 64, 256, 1024, 4096], versions: 80, records: 10 },
};

export function comparisonPreset(name: string): ComparisonPreset {
  const p = COMPARISON_PRESETS[name];
  if (p === undefined) throw new BenchError(`unknown preset '${name}'; expected ${Object.keys(COMPARISON_PRESETS).join(' or ')}`);
  return p;
}

export function gossipPreset(name: string): GossipScalingPlan {
  const p = GOSSIP_PRESETS[name];
  if (p === undefined) throw new BenchError(`unknown preset '${name}'; expected ${Object.keys(GOSSIP_PRESETS).join(' or ')}`);
  return p;
}
