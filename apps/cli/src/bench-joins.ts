/**
 * Membership changes within the epoch against changes that start one (issue 13), in the simulator
 * with real TF.js gradients: R-FAST on home links, 16 peers' shards. With 'grow' a joiner is
 * attached to two peers, a leaver's neighbours are linked to each other and unwind the mass they
 * exchanged with it, and nobody resets; with 'epoch' every change rebuilds the exponential graph
 * and resets every peer's tracker (algorithms.md 1.6).
 *
 *   npx tsx apps/cli/src/bench-joins.ts [--change joins|leaves] [--seeds 1,2,3] [--lr 0.8] [--budget-steps 500] [--step-time SECONDS] [--out DIR]
 *
 * joins (the default): ids 8-15 leave at time 0, before any step, in a new epoch in both modes
 * (so the 8 others start on the named 8-peer graph), and come back one at a time at 10%, 20%, ...,
 * 80% of the budget. leaves: all 16 train from the start, and ids 8-15 leave one at a time at
 * those times. Writes DIR/<change>.md and DIR/<change>.json (DIR defaults to results/<change>).
 */
import { BENCH_CONFIG, BenchTask, markdownTable, medianOf, publishReport, runMain, runOne, spread, type RunOutcome } from '@starling/bench';
import type { MembershipChange } from '@starling/sim';

const START = 8;
const JOINERS = 8;
const MODES = ['grow', 'epoch'] as const;
const CHANGES = ['joins', 'leaves'] as const;
type Change = (typeof CHANGES)[number];

interface Args {
  change: Change;
  seeds: number[];
  lr: number;
  budgetSteps: number;
  stepTime: number | null;
  out: string;
}

function parse(argv: readonly string[]): Args {
  const a: Args = { change: 'joins', seeds: [1, 2, 3], lr: 0.8, budgetSteps: 500, stepTime: null, out: '' };
  const positive = (flag: string, v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag}: '${v}' is not a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--change') {
      if (!(CHANGES as readonly string[]).includes(v)) throw new Error(`--change: '${v}' is not one of ${CHANGES.join(', ')}`);
      a.change = v as Change;
    } else if (flag === '--seeds') a.seeds = v.split(',').map((x) => Math.round(positive(flag, x)));
    else if (flag === '--lr') a.lr = positive(flag, v);
    else if (flag === '--budget-steps') a.budgetSteps = Math.round(positive(flag, v));
    else if (flag === '--step-time') a.stepTime = positive(flag, v);
    else if (flag === '--out') a.out = v;
    else throw new Error(`unknown flag ${flag}; see the usage at the top of apps/cli/src/bench-joins.ts`);
  }
  if (a.out === '') a.out = `results/${a.change}`;
  return a;
}

/**
 * joins: ids START..START+JOINERS-1 leave at 0 (a new epoch: nobody has trained yet) and come back
 * one at a time, every budget/(JOINERS+2). leaves: they leave one at a time at those times.
 */
function schedule(change: Change, budget: number): MembershipChange[] {
  const ids = Array.from({ length: JOINERS }, (_, k) => START + k);
  const at = (k: number) => ((k + 1) * budget) / (JOINERS + 2);
  if (change === 'leaves') return ids.map((id, k) => ({ time: at(k), leave: [id] }));
  return [{ time: 0, leave: ids, reset: true }, ...ids.map((id, k) => ({ time: at(k), join: [id] }))];
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
          membership: schedule(args.change, budget),
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
    const command = `npx tsx apps/cli/src/bench-joins.ts --change ${args.change} --seeds ${args.seeds.join(',')} --lr ${args.lr} --budget-steps ${args.budgetSteps} --step-time ${stepTime} --out ${args.out}`;
    const table = markdownTable([args.change, 's to 85% (average model)', 's to 90%', 'average model at the budget (10k images)', 'peer mean', 'worst peer'], rows);
    const md =
      `# ${args.change === 'joins' ? 'Joins' : 'Leaves'}: within the epoch ('grow') against a new epoch each\n\nR-FAST, lr ${args.lr}, home links, IID MNIST shards; ${args.change === 'joins' ? `${START} peers from the start, ${JOINERS} joining` : `${START + JOINERS} peers from the start, ${JOINERS} leaving`} one at a time at 10%-80% of a budget of ${args.budgetSteps} step times (${budget.toFixed(2)} virtual s). ` +
      `Median [range] over seeds ${args.seeds.join(', ')}; "-": not reached.\n\n${table}\n\nCommand: \`${command}\`\n`;
    const json = JSON.stringify({ command, stepTime, runs: runs.map(({ mode, seed, r }) => ({ mode, seed, timeTo: r.timeTo, atBudget: r.atBudget, mbSentPerPeer: r.mbSentPerPeer })) });
    await publishReport(args.out, md, [{ path: `${args.change}.md`, text: md }, { path: `${args.change}.json`, text: json }], t0, log);
  } finally {
    await task.dispose();
  }
}

runMain(main);
