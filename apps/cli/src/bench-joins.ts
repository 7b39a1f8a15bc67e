/**
 * Joins that grow the graph against joins that start an epoch (issue 13), in the simulator with
 * real TF.js gradients: R-FAST on home links, 8 peers training, then 8 more joining one at a time
 * over the run. With 'grow' a joiner is attached to two peers and nobody resets; with 'epoch' every
 * join rebuilds the exponential graph and resets every peer's tracker (algorithms.md 1.6).
 *
 *   npx tsx apps/cli/src/bench-joins.ts [--seeds 1,2,3] [--lr 0.8] [--budget-steps 500] [--step-time SECONDS] [--out DIR]
 *
 * The peers that join later are ids 8-15 of a 16-peer problem; they leave at time 0, before any
 * step (an epoch in both modes, with nothing yet to reset), and come back at 10%, 20%, ..., 80% of
 * the budget. Writes DIR/joins.md and DIR/joins.json (DIR defaults to results/joins).
 */
import { BENCH_CONFIG, BenchTask, markdownTable, medianOf, publishReport, runMain, runOne, spread, type RunOutcome } from '@starling/bench';
import type { MembershipChange } from '@starling/sim';

const START = 8;
const JOINERS = 8;
const MODES = ['grow', 'epoch'] as const;

interface Args {
  seeds: number[];
  lr: number;
  budgetSteps: number;
  stepTime: number | null;
  out: string;
}

function parse(argv: readonly string[]): Args {
  const a: Args = { seeds: [1, 2, 3], lr: 0.8, budgetSteps: 500, stepTime: null, out: 'results/joins' };
  const positive = (flag: string, v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag}: '${v}' is not a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--seeds') a.seeds = v.split(',').map((x) => Math.round(positive(flag, x)));
    else if (flag === '--lr') a.lr = positive(flag, v);
    else if (flag === '--budget-steps') a.budgetSteps = Math.round(positive(flag, v));
    else if (flag === '--step-time') a.stepTime = positive(flag, v);
    else if (flag === '--out') a.out = v;
    else throw new Error(`unknown flag ${flag}; see the usage at the top of apps/cli/src/bench-joins.ts`);
  }
  return a;
}

/** Ids START..START+JOINERS-1 leave at 0 and come back one at a time, every budget/(JOINERS+2). */
function schedule(budget: number): MembershipChange[] {
  const ids = Array.from({ length: JOINERS }, (_, k) => START + k);
  return [{ time: 0, leave: ids }, ...ids.map((id, k) => ({ time: ((k + 1) * budget) / (JOINERS + 2), join: [id] }))];
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const args = parse(process.argv.slice(2));
  const task = await BenchTask.load({ log });
  try {
    const stepTime = args.stepTime ?? (await task.calibrate(BENCH_CONFIG.calibrationWarmup, BENCH_CONFIG.calibrationSteps)).median;
    const budget = args.budgetSteps * stepTime;
    const targets = [0.85, 0.9];
    const runs: { mode: (typeof MODES)[number]; seed: number; r: RunOutcome }[] = [];
    const t0 = performance.now();
    for (const seed of args.seeds) {
      for (const mode of MODES) {
        const r = await runOne(task, {
          scenario: { n: START + JOINERS, split: 'iid', straggle: 'none', loss: 0, profile: 'home' },
          algorithm: 'rfast',
          lr: args.lr,
          seed,
          stepTime,
          budget,
          targets,
          evalCount: 2000,
          finalEvalCount: 10_000,
          extend: false,
          sendBuffer: BENCH_CONFIG.network.sendBuffer,
          membership: schedule(budget),
          joins: mode,
        });
        runs.push({ mode, seed, r });
        const b = r.atBudget;
        log(`seed ${seed}, ${mode}: average model ${b ? (100 * b.accuracyFinal).toFixed(1) : '-'}%, worst peer ${b ? (100 * b.peerMin).toFixed(1) : '-'}%, to 85% ${r.timeTo[0]?.toFixed(2) ?? '-'} s (${r.wallSeconds.toFixed(0)} s wall)`);
      }
    }
    const pct = (x: number) => (100 * x).toFixed(1);
    const sec = (x: number) => x.toFixed(2);
    const rows = MODES.map((mode) => {
      const of = runs.filter((x) => x.mode === mode).map((x) => x.r);
      const col = (f: (r: RunOutcome) => number | null, fmt: (x: number) => string) => {
        const v = of.map(f);
        const got = v.filter((x): x is number => x !== null && Number.isFinite(x));
        return got.length === 0 ? '-' : `${fmt(medianOf(got))}${spread(v, fmt).replace(/^[^[]*/, ' ')}${got.length < v.length ? ` (${got.length}/${v.length})` : ''}`;
      };
      return [
        mode,
        col((r) => r.timeTo[0], sec),
        col((r) => r.timeTo[1], sec),
        col((r) => r.atBudget?.accuracyFinal ?? null, pct),
        col((r) => r.atBudget?.peerMean ?? null, pct),
        col((r) => r.atBudget?.peerMin ?? null, pct),
      ];
    });
    const command = `npx tsx apps/cli/src/bench-joins.ts --seeds ${args.seeds.join(',')} --lr ${args.lr} --budget-steps ${args.budgetSteps} --step-time ${stepTime} --out ${args.out}`;
    const table = markdownTable(['joins', 's to 85% (average model)', 's to 90%', 'average model at the budget (10k images)', 'peer mean', 'worst peer'], rows);
    const md =
      `# Joins: grow against epoch\n\nR-FAST, lr ${args.lr}, home links, IID MNIST shards; ${START} peers from the start, ${JOINERS} joining one at a time at 10%-80% of a budget of ${args.budgetSteps} step times (${budget.toFixed(2)} virtual s). ` +
      `Median [range] over seeds ${args.seeds.join(', ')}; "-": not reached.\n\n${table}\n\nCommand: \`${command}\`\n`;
    const json = JSON.stringify({ command, stepTime, runs: runs.map(({ mode, seed, r }) => ({ mode, seed, timeTo: r.timeTo, atBudget: r.atBudget, mbSentPerPeer: r.mbSentPerPeer })) });
    await publishReport(args.out, md, [{ path: 'joins.md', text: md }, { path: 'joins.json', text: json }], t0, log);
  } finally {
    await task.dispose();
  }
}

runMain(main);
