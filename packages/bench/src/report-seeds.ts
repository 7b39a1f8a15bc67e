/**
 * The same preset run with several seeds, side by side: per scenario and algorithm the median time
 * to each target with the range over the seeds that reached it, the accuracy at the budget and the
 * bytes each peer sent. A single seed's ratio can flip with the next seed; this table shows by how
 * much the figures move.
 */
import { algorithmLabel, type BenchAlgorithm } from './algorithms';
import type { ComparisonResult } from './comparison';
import { BENCH_CONFIG } from './config';
import { BenchError } from './errors';
import { fmt, markdownTable, pct } from './markdown';
import { COMPARISON_PRESETS } from './presets';
import type { RunOutcome } from './run-one';

/** Median of a non-empty list (mean of the middle two for an even count). */
export function medianOf(xs: readonly number[]): number {
  if (xs.length === 0) throw new BenchError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** "0.42 [0.40-0.47]" over the seeds that reached it, with "(2/3)" when some did not; "-" when none did. */
export function spread(values: readonly (number | null)[], format: (x: number) => string): string {
  const got = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (got.length === 0) return '-';
  const range = got.length > 1 ? ` [${format(Math.min(...got))}-${format(Math.max(...got))}]` : '';
  const count = got.length < values.length ? ` (${got.length}/${values.length})` : '';
  return `${format(medianOf(got))}${range}${count}`;
}

/** Checks that the results are seeds of one preset on the same clock, and returns their seeds. */
function checkSameRun(results: readonly ComparisonResult[]): number[] {
  if (results.length === 0) throw new BenchError('no results to put side by side');
  const [first] = results;
  for (const r of results) {
    if (r.preset !== first.preset) throw new BenchError(`results of presets '${first.preset}' and '${r.preset}' do not compare`);
    if (r.stepTime !== first.stepTime) throw new BenchError(`step times ${first.stepTime} and ${r.stepTime} differ: pass --step-time to every seed`);
  }
  const seeds = results.map((r) => r.seed);
  if (new Set(seeds).size !== seeds.length) throw new BenchError(`seed listed twice: ${seeds.join(', ')}`);
  return seeds;
}

/** One markdown section per scenario (the first result's order), every algorithm a row. */
export function seedsReport(results: readonly ComparisonResult[], command: string): string {
  const seeds = checkSameRun(results);
  const [first] = results;
  const targets = first.targets;
  // Saved results do not record it; a preset no longer known is taken to have extended.
  const extended = COMPARISON_PRESETS[first.preset]?.extend ?? true;
  const out: string[] = [
    `# ${first.preset} preset over seeds ${seeds.join(', ')}`,
    '',
    `Regenerate: \`${command}\``,
    '',
    `Median over the seeds, [range] over the seeds that got there, (k/n) when only k of n did; "-" when none did within the run (budget ${fmt(first.budget, 2)} virtual s${extended ? `, extended up to ${BENCH_CONFIG.extendFactor}x for runs short of the top target` : ', not extended'}). Step sizes: ${Object.entries(first.lr).map(([a, lr]) => `${a} ${lr}`).join(', ')}.`,
  ];
  for (const sc of first.scenarios) {
    const algorithms = sc.runs.map((r) => r.algorithm);
    const rows = algorithms.map((a) => row(a, results.map((r) => find(r, sc.id, a)), targets.length));
    out.push('', `## ${sc.label}`, '');
    out.push(markdownTable(['algorithm', ...targets.map((t) => `s to ${pct(t, 0)}`), 'accuracy at budget', 'MB sent per peer', 'steps per peer'], rows));
  }
  return `${out.join('\n')}\n`;
}

function find(r: ComparisonResult, scenario: string, a: BenchAlgorithm): RunOutcome | null {
  return r.scenarios.find((s) => s.id === scenario)?.runs.find((x) => x.algorithm === a) ?? null;
}

function row(a: BenchAlgorithm, runs: readonly (RunOutcome | null)[], targets: number): string[] {
  const times = Array.from({ length: targets }, (_, k) => spread(runs.map((r) => r?.timeTo[k] ?? null), (x) => fmt(x, 2)));
  return [
    algorithmLabel(a),
    ...times,
    spread(runs.map((r) => r?.atBudget?.accuracyFinal ?? null), (x) => pct(x)),
    spread(runs.map((r) => r?.mbSentPerPeer ?? null), (x) => fmt(x, 1)),
    spread(runs.map((r) => r?.stepsPerPeer ?? null), (x) => fmt(x, 0)),
  ];
}
