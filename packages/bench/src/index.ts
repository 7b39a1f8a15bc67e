/**
 * @starling/bench: simulated benchmarks of the platform's algorithms. The R-FAST comparison (real
 * TF.js gradients on MNIST, the simulator's virtual clock with a compute model calibrated from
 * measured step times) and the timely-gossip scaling runs, with their markdown and SVG reports.
 */
export { BENCH_CONFIG, type BenchConfig } from './config';
export { BenchError } from './errors';
export {
  algorithmLabel,
  BENCH_ALGORITHMS,
  algorithmSettings,
  coreName,
  parseAlgorithm,
  type BenchAlgorithm,
} from './algorithms';
export {
  STRAGGLES,
  SPLITS,
  checkScenario,
  computeModel,
  expandGrid,
  networkModel,
  oneAtATime,
  scenarioId,
  scenarioLabel,
  type Scenario,
  type ScenarioGrid,
  type Split,
  type Straggle,
} from './scenarios';
export { formatRatio, jointTimeToTarget, memberTimesToTarget, timeRatio, timeToTarget, valueAt, type Curve, type MemberSample, type Ratio } from './curves';
export { BenchTask, type BenchTaskOptions, type StepTiming } from './bench-task';
export { runOne, SCORES, type AtBudget, type RunOutcome, type RunPlan, type Score } from './run-one';
export {
  pickFastestStep,
  pickStepSize,
  runComparison,
  type ComparisonOptions,
  type ComparisonResult,
  type ScenarioResult,
  type TuningResult,
  type TimedTrial,
  type TuningTrial,
} from './comparison';
export {
  COMPARISON_PRESETS,
  FULL,
  HOME,
  GOSSIP_PRESETS,
  QUICK,
  SHARED_LR_GRID,
  comparisonPreset,
  gossipPreset,
  type ComparisonPreset,
  type TuningPlan,
} from './presets';
export {
  GOSSIP_VARIANTS,
  fanoutFor,
  harmonic,
  runGossipPoint,
  steadyAges,
  type GossipPoint,
  type GossipScalingPlan,
  type GossipVariant,
} from './gossip-scaling';
export { escapeCell, fmt, markdownTable, pct, type Align } from './markdown';
export { escapeXml, lineChart, niceRange, niceTicks, type ChartOptions, type Series } from './svg';
export { accuracyTable, comparisonReport, ratioToReference, scenarioPlot, scenarioTable, summaryTable, tuningTable, type ReportFile } from './report-comparison';
export { gossipReport, gossipTable } from './report-gossip';
export { parseBenchArgs, publishReport, runMain, writeReport, type BenchArgs } from './cli-support';
export { ATTACK_MATRIX_DEFAULTS, attackMatrixTable, runAttackMatrix, type AttackCell, type AttackMatrixPlan } from './attack-matrix';
export { medianOf, seedsReport, spread } from './report-seeds';
