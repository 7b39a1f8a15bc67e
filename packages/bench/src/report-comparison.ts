/** Markdown tables and SVG plots of a comparison result. */
import { algorithmLabel, BENCH_ALGORITHMS } from './algorithms';
import { BENCH_CONFIG } from './config';
import { LINK_PROFILES } from '@starling/transport';
import type { ComparisonResult, ScenarioResult } from './comparison';
import { formatRatio, timeRatio, type Ratio } from './curves';
import { fmt, markdownTable, pct } from './markdown';
import type { RunOutcome } from './run-one';
import { lineChart } from './svg';

export interface ReportFile {
  /** Path relative to the output folder. */
  path: string;
  text: string;
}

/** Ratio of `r`'s time to target k to the reference run's (null when the reference missed it). */
export function ratioToReference(r: RunOutcome, ref: RunOutcome | undefined, k: number): Ratio | null {
  if (ref === undefined) return null;
  return timeRatio(r.timeTo[k], r.horizon, ref.timeTo[k], ref.horizon);
}

function targetName(t: number): string {
  return `${Math.round(t * 1000) / 10}%`;
}

function secs(t: number | null, horizon: number): string {
  return t === null ? `> ${horizon.toFixed(2)}` : t.toFixed(2);
}

/** One row per algorithm of a scenario. */
export function scenarioTable(s: ScenarioResult, res: ComparisonResult): string {
  const ref = s.runs.find((r) => r.algorithm === res.reference);
  const header = ['algorithm', 'lr'];
  res.targets.forEach((t) => header.push(`to ${targetName(t)} (s)`, 'vs ref.'));
  header.push((res.score ?? 'average') === 'average' ? 'avg model at budget' : 'worst peer at budget', 'vs ref.', 'peers mean / min', 'steps/peer', 'blocked', 'MB sent/peer', 'lost / skipped');
  const rows = s.runs.map((r) => {
    const row = [algorithmLabel(r.algorithm) + (r.diverged ? ' (diverged)' : ''), String(r.lr)];
    res.targets.forEach((_, k) => row.push(secs(r.timeTo[k], r.horizon), formatRatio(ratioToReference(r, ref, k))));
    const b = r.atBudget;
    const refAcc = ref?.atBudget?.accuracyFinal;
    const diff = b && refAcc !== undefined ? `${b.accuracyFinal >= refAcc ? '+' : ''}${fmt(100 * (b.accuracyFinal - refAcc), 1)} pp` : '-';
    row.push(
      b ? pct(b.accuracyFinal, 2) : '-',
      diff,
      b ? `${pct(b.peerMean)} / ${pct(b.peerMin)}` : '-',
      fmt(r.stepsPerPeer, 0),
      pct(r.blockedFraction, 0),
      fmt(r.mbSentPerPeer, 0),
      `${pct(r.lossRate, 0)} / ${pct(r.skipRate, 0)}`,
    );
    return row;
  });
  return markdownTable(header, rows);
}

/**
 * Scenario x algorithm: time to target k as a ratio to the reference, after a column with the
 * reference's own time. An algorithm not run on a scenario shows "not run".
 */
export function summaryTable(res: ComparisonResult, k: number): string {
  const algos = [...new Set(res.scenarios.flatMap((s) => s.runs.map((r) => r.algorithm)))].filter((a) => a !== res.reference);
  const header = ['scenario', `${algorithmLabel(res.reference)} (s)`, ...algos.map((a) => algorithmLabel(a))];
  const rows = res.scenarios.map((s) => {
    const ref = s.runs.find((r) => r.algorithm === res.reference);
    const refTime = ref === undefined ? '-' : secs(ref.timeTo[k], ref.horizon);
    return [
      s.label,
      refTime,
      ...algos.map((a) => {
        const r = s.runs.find((x) => x.algorithm === a);
        return r === undefined ? 'not run' : formatRatio(ratioToReference(r, ref, k));
      }),
    ];
  });
  return markdownTable(header, rows);
}

/** What a result's curves scored, in words. */
function scoredName(res: ComparisonResult): string {
  return (res.score ?? 'average') === 'average' ? 'average model' : "worst peer's own model";
}

/** Scenario x algorithm: accuracy at the budget, the scored model (finalEvalCount images) / mean of the peers' own models. */
export function accuracyTable(res: ComparisonResult): string {
  const algos = [...new Set(res.scenarios.flatMap((s) => s.runs.map((r) => r.algorithm)))];
  const rows = res.scenarios.map((s) => [
    s.label,
    ...algos.map((a) => {
      const b = s.runs.find((x) => x.algorithm === a)?.atBudget;
      return b ? `${pct(b.accuracyFinal)} / ${pct(b.peerMean)}` : 'not run';
    }),
  ]);
  return markdownTable(['scenario', ...algos.map((a) => algorithmLabel(a))], rows);
}

export function tuningTable(res: ComparisonResult): string {
  const rows = (res.tuning ?? []).map((t) => [
    algorithmLabel(t.algorithm),
    t.sharedFrom ? `same as ${algorithmLabel(t.sharedFrom)}` : t.trials.map((x) => `${x.lr}: ${x.diverged ? 'diverged' : pct(x.accuracy)}`).join(', '),
    String(t.pick),
  ]);
  return markdownTable(['algorithm', 'lr: accuracy at the tuning budget', 'pick'], rows);
}

export function scenarioPlot(s: ScenarioResult, res: ComparisonResult): string {
  const lo = Math.max(0, Math.min(...res.targets) - 0.3);
  return lineChart({
    title: `MNIST MLP, ${s.label}`,
    xLabel: 'virtual time (s)',
    yLabel: `test accuracy, ${scoredName(res)} (${res.evalCount} images)`,
    yMin: lo,
    yMax: 1,
    // One colour per algorithm across every plot, whichever algorithms a scenario ran.
    series: s.runs.map((r) => ({
      name: algorithmLabel(r.algorithm),
      x: r.curve.time,
      y: r.curve.accuracy,
      dashed: r.algorithm === 'rfast',
      colorIndex: BENCH_ALGORITHMS.indexOf(r.algorithm),
    })),
  });
}

export function comparisonReport(res: ComparisonResult, command: string): ReportFile[] {
  const t = res.timing;
  const ms = (x: number) => `${(1000 * x).toFixed(2)} ms`;
  const net = BENCH_CONFIG.network;
  const lines: string[] = [
    `# R-FAST comparison: preset \`${res.preset}\`, seed ${res.seed}`,
    '',
    `Regenerate: \`${command}\``,
    '',
    res.task === undefined
      ? `- Model: MLP 784-64-10, batch ${BENCH_CONFIG.batchSize}, same x0 for every algorithm; every gradient is a real TF.js (${res.backend}) gradient on the peer's MNIST shard.`
      : `- Task \`${res.task.id}\`: ${res.task.title} (${res.task.model}, ${res.task.params.toLocaleString('en-US')} parameters), batch ${BENCH_CONFIG.batchSize}, same x0 for every algorithm; every gradient is a real TF.js (${res.backend}) gradient on the peer's shard.`,
    t
      ? `- Compute model: base step time ${ms(res.stepTime)} = median CPU time of ${t.steps} measured steps (p10 ${ms(t.cpuP10)}, p90 ${ms(t.cpuP90)}; wall time median ${ms(t.wallMedian)}, p10 ${ms(t.wallP10)}, p90 ${ms(t.wallP90)} on the shared machine), +-${BENCH_CONFIG.computeJitter * 100}% jitter.`
      : `- Compute model: base step time ${ms(res.stepTime)} (given with --step-time), +-${BENCH_CONFIG.computeJitter * 100}% jitter.`,
    res.scenarios.some((s) => s.scenario.profile === 'home')
      ? `- Network (home profile): each peer's uplink carries ${LINK_PROFILES.home.uplinkBytesPerSec / 1e6} MB/s shared by all its links (the peer runtime's token bucket), ${LINK_PROFILES.home.latencyMs} ms one way + U(0, ${net.jitter * 1000} ms); unreliable sends skipped while ${res.sendBuffer / 1024} KiB are queued; ${BENCH_CONFIG.blockSize}-float blocks; reliable messages pay loss as retransmission delay.`
      : `- Network per link: ${net.latency * 1000} ms + U(0, ${net.jitter * 1000} ms), ${net.bandwidth / 1e6} MB/s, unreliable sends skipped while ${res.sendBuffer / 1024} KiB are queued; ${BENCH_CONFIG.blockSize}-float blocks; reliable messages pay loss as retransmission delay.`,
    `- Time budget ${res.budget.toFixed(2)} virtual s; accuracy during runs (and so times to target and tuning): ${scoredName(res)} on the first ${res.evalCount} test images; at the budget: on ${res.finalEvalCount}. Ratios are times to target divided by ${algorithmLabel(res.reference)}'s; "> t": not reached within the t seconds the run lasted, so ">= r" / "<= r" bound the ratio when one side missed, and "-" means both did.`,
    `- R-FAST's frames: ${res.rfastEncoding ?? 'f16-i8'} (RFAST_ENCODINGS in packages/core).`,
    `- Wall time of this preset: ${(res.wallSeconds / 60).toFixed(1)} min.`,
    '',
  ];
  if (res.tuning) {
    lines.push(`## Step sizes (tuned on ${res.scenarios[0]?.label ?? 'the base scenario'}, ${fmt(res.tuningBudget, 2)} virtual s)`, '', tuningTable(res), '');
  } else {
    lines.push('## Step sizes', '', markdownTable(['algorithm', 'lr'], Object.entries(res.lr).map(([a, lr]) => [a, String(lr)])), '');
  }
  res.targets.forEach((target, k) => {
    lines.push(`## Time to ${targetName(target)}, relative to ${algorithmLabel(res.reference)}`, '', summaryTable(res, k), '');
  });
  lines.push(
    `## Accuracy at the budget (${res.budget.toFixed(2)} s): ${scoredName(res)} on ${res.finalEvalCount} test images / mean of the peers' own models on ${res.evalCount}`,
    '',
    accuracyTable(res),
    '',
  );
  const files: ReportFile[] = [];
  for (const s of res.scenarios) {
    const plot = `plots/${s.id}.svg`;
    files.push({ path: plot, text: scenarioPlot(s, res) });
    lines.push(`## ${s.label}`, '', scenarioTable(s, res), '', `![accuracy against time, ${s.label}](${plot})`, '');
  }
  files.unshift({ path: 'comparison.md', text: lines.join('\n') });
  return files;
}
