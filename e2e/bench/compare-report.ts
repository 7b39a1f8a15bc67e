/** The browser comparison's markdown: per link profile, every algorithm's figures over the seeds. */
import { fmt, markdownTable, medianOf, pickFastestStep, spread } from '@starling/bench';

export interface BenchRun {
  profile: string;
  algorithm: string;
  /** R-FAST's frame encoding; null for the others. */
  encoding: string | null;
  /** R-FAST's algorithmOptions.pushShare when the bench set one; null: core's default (or not R-FAST). */
  pushShare?: number | null;
  /** R-FAST's algorithmOptions.sendShare: the bench's, else the runtime's default (DEFAULT_TUNING.defaultSendShare); runs from before that default (2026-12-07, session 43) logged null for core's 1 (every slot). null for the others. */
  sendShare?: number | null;
  lr: number;
  seed: number;
  /** Seconds from resume until every tab's model reached the target ("90", "92"); null: not within the cap. */
  secondsTo: Record<string, number | null>;
  bytesPerStepPerPeer: number | null;
  stepsPerTab: number[];
  /** Medians of the tabs' status figures over the run (R-FAST only for the mass). */
  massInTransit: number | null;
  /** Median over the tabs of each tab's compute share over the timed run (before session 46: the median of the tabs' status samples, each counted from the tab's first step; now computeShareSampled). */
  computeShare: number | null;
  tabComputeShare?: (number | null)[];
  computeShareSampled?: number | null;
  /** Median over the tabs of each tab's gradient busy time in its worker (PeerStatus.gradientBusyMs) over the loop's time in the timed run (since session 46). */
  busyShare?: number | null;
  tabBusyShare?: (number | null)[];
  /** R-FAST: median of the tabs' send share (PeerStatus.sendShare: the adaptive budget's, else the run's) over the run; null for the others. */
  budgetShare?: number | null;
  /** The tabs' compute-share target (`?computeShare=`) when the bench set one; null: the runtime's default. */
  computeShareTarget?: number | null;
  staleness: number | null;
  finalAccuracy: number[];
  /** Seconds until each tab's model first scored the target, by target; null: not within the cap. */
  tabSecondsTo?: Record<string, (number | null)[]>;
}

export interface BenchResult {
  measuredAt: string;
  command: string;
  setup: { tabs: number; slowTab: { index: number; slowdown: number }; backend: string; task: string; batch: number; lossRate: number; capSeconds: number; evalImages?: number; everySeconds?: number; modelAverageSteps?: number; blockSize?: number; innerSteps?: number };
  profiles: Record<string, { uplinkBytesPerSec: number | null; latencyMs: number }>;
  runs: BenchRun[];
}

const orNull = (x: number | null | undefined): number | null => (x === undefined || x === null || !Number.isFinite(x) ? null : x);

/** One algorithm at one step size, over its seeds. */
function tableRow(a: string, lr: number, mine: readonly BenchRun[], picked: boolean, targets: readonly string[]): string[] {
  return [
    a,
    picked ? `**${lr}** (pick)` : String(lr),
    ...targets.map((t) => spread(mine.map((x) => x.secondsTo[t] ?? null), (v) => fmt(v, 1))),
    spread(mine.map((x) => orNull(x.bytesPerStepPerPeer)), (v) => `${fmt(v / 1000, 0)} kB`),
    spread(mine.map((x) => medianOf(x.stepsPerTab)), (v) => fmt(v, 0)),
    spread(mine.map((x) => orNull(x.massInTransit)), (v) => fmt(v, 2)),
    spread(mine.map((x) => orNull(x.computeShare)), (v) => `${fmt(100 * v, 0)}%`),
    spread(mine.map((x) => Math.min(...x.finalAccuracy)), (v) => fmt(v, 3)),
  ];
}

export function comparisonMarkdown(r: BenchResult): string {
  const s = r.setup;
  const out = [
    `# In-browser comparison (${s.tabs} Chromium tabs, ${s.backend}, tab ${s.slowTab.index} slowed ${s.slowTab.slowdown}x)`,
    '',
    `Time from resuming a paused run (all tabs joined, same starting model) until every tab's model reaches the target on the`,
    `${(s.evalImages ?? 10_000).toLocaleString('en-US')} images of the MNIST test set, scored in Node from copies of the tab's parameters taken about every ${s.everySeconds ?? 2} s (stamped in the tab; scored after the run since 2026-12-07, at the end of a round of reads before). ${s.task}, batch ${s.batch}, injected loss ${s.lossRate}, cap ${s.capSeconds} s per run${s.blockSize === undefined ? '' : `, ${s.blockSize.toLocaleString('en-US')} parameters per frame (blockSize)`}.${(s.modelAverageSteps ?? 0) > 0 ? ` Each tab's copy is the average of its models over about ${s.modelAverageSteps} steps (modelAverageSteps).` : ''}${(s.innerSteps ?? 1) > 1 ? ` Each tab takes ${s.innerSteps} SGD steps per step of its algorithm (innerSteps): its steps and bytes per step are per round of ${s.innerSteps} gradients.` : ''}`,
    `Median over the seeds, [range] over the seeds that got there, (k/n) when only k of n did; "-": none within the cap.`,
    `Command: \`${r.command}\`. Measured ${r.measuredAt}.`,
  ];
  for (const [profile, shape] of Object.entries(r.profiles)) {
    const runs = r.runs.filter((x) => x.profile === profile);
    const algorithms = [...new Set(runs.map((x) => x.algorithm))];
    const targets = [...new Set(runs.flatMap((x) => Object.keys(x.secondsTo)))];
    const picks: string[] = [];
    const rows = algorithms.flatMap((a) => {
      const all = runs.filter((x) => x.algorithm === a);
      const lrs = [...new Set(all.map((x) => x.lr))].sort((x, y) => x - y);
      // A grid (BENCH_LR_GRID): one row per step size, the pick by time to the first target.
      const pick = lrs.length > 1 ? pickFastestStep(lrs.map((lr) => {
        const at = all.filter((x) => x.lr === lr);
        return { lr, seconds: at.map((x) => x.secondsTo[targets[0]] ?? null), accuracy: at.map((x) => Math.min(...x.finalAccuracy)) };
      })) : null;
      if (lrs.length > 1) picks.push(`${a} ${pick ?? `none (no step size reached ${targets[0]}%)`}`);
      return lrs.map((lr) => tableRow(a, lr, all.filter((x) => x.lr === lr), pick === lr, targets));
    });
    const up = shape.uplinkBytesPerSec === null ? 'unshaped' : `${(shape.uplinkBytesPerSec / 1e6).toFixed(1)} MB/s uplink`;
    out.push('', `## ${profile} (${up}, ${shape.latencyMs} ms one way)`, '');
    if (picks.length > 0) out.push(`Step sizes picked by the smallest median time to ${targets[0]}% (\`pickFastestStep\`): ${picks.join('; ')}.`, '');
    out.push(markdownTable(['algorithm', 'lr', ...targets.map((t) => `s to ${t}%`), 'bytes per step per peer', 'steps per tab (median)', 'mass in transit', 'compute share', 'worst tab at the end'], rows));
  }
  return `${out.join('\n')}\n`;
}
