/**
 * Each peer's own model against the average of the peers' models, and against an exponential
 * average of its own past models, in the simulator with real TF.js gradients: 8 peers on home
 * links, every gradient a real MNIST MLP gradient. The browser bench scores each tab's own model;
 * the comparison's default score is the average model, which no peer holds.
 *
 *   npx tsx apps/cli/src/bench-peer-models.ts [--algorithms rfast,gossip,adpsgd,solo] [--lr 0.4]
 *     [--split iid|noniid] [--loss 0.3] [--seeds 1] [--steps 500] [--window 50] [--push-share X]
 *     [--encoding f16-i8|i8|f32|...] [--step-time SECONDS]
 *
 * --window: the average's window in step times (each peer's model is folded in once per step time
 * with weight 1/window). --push-share, --encoding: R-FAST's (the bench's when absent). --loss: the share of
 * unreliable frames the links drop. Prints one line per run: the average model, the peers' own
 * models (mean, worst) and their averages (mean, worst), all on the first 2,000 test images at the
 * end of the run; then what the frames did (dropped, skipped at a full send buffer, refused or stale
 * at the receiver) and, for R-FAST, the mean mass in transit over the run.
 */
import { BENCH_CONFIG, BenchTask, algorithmSettings, coreName, computeModel, networkModel, parseAlgorithm, runMain, type BenchAlgorithm, type Scenario } from '@starling/bench';
import { RFAST_ENCODING_NAMES, type RfastEncodingName } from '@starling/core';
import { runSimulationAsync } from '@starling/sim';

const EVAL_COUNT = 2000;

interface Args {
  algorithms: BenchAlgorithm[];
  lr: number;
  split: Scenario['split'];
  loss: number;
  seeds: number[];
  steps: number;
  window: number;
  pushShare: number | null;
  encoding: RfastEncodingName | null;
  stepTime: number;
}

function parse(argv: readonly string[]): Args {
  const a: Args = { algorithms: ['rfast', 'gossip', 'adpsgd', 'solo'], lr: 0.4, split: 'iid', loss: 0, seeds: [1], steps: 500, window: 50, pushShare: null, encoding: null, stepTime: 0.003468 };
  const positive = (flag: string, v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag}: '${v}' is not a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--algorithms') a.algorithms = v.split(',').map(parseAlgorithm);
    else if (flag === '--lr') a.lr = positive(flag, v);
    else if (flag === '--split') {
      if (v !== 'iid' && v !== 'noniid') throw new Error(`--split must be iid or noniid, got '${v}'`);
      a.split = v;
    } else if (flag === '--loss') {
      const n = Number(v);
      if (!(n >= 0 && n < 1)) throw new Error(`--loss must be in [0, 1), got '${v}'`);
      a.loss = n;
    } else if (flag === '--seeds') a.seeds = v.split(',').map((x) => Math.round(positive(flag, x)));
    else if (flag === '--steps') a.steps = Math.round(positive(flag, v));
    else if (flag === '--window') a.window = positive(flag, v);
    else if (flag === '--push-share') a.pushShare = positive(flag, v);
    else if (flag === '--encoding') {
      if (!(RFAST_ENCODING_NAMES as readonly string[]).includes(v)) throw new Error(`--encoding must be one of ${RFAST_ENCODING_NAMES.join(', ')}, got '${v}'`);
      a.encoding = v as RfastEncodingName;
    } else if (flag === '--step-time') a.stepTime = positive(flag, v);
    else throw new Error(`unknown flag ${flag}; see the usage at the top of apps/cli/src/bench-peer-models.ts`);
  }
  return a;
}

const pct = (x: number) => (100 * x).toFixed(1);
const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const task = await BenchTask.load({ log: () => {} });
  const s: Scenario = { n: 8, split: args.split, straggle: 'none', loss: args.loss, profile: 'home' };
  const budget = args.steps * args.stepTime;
  const keep = 1 - 1 / args.window;
  try {
    for (const algorithm of args.algorithms) {
      for (const seed of args.seeds) {
        const averaged = new Map<number, Float32Array>();
        let own = new Map<number, Float32Array>();
        const settings = { ...algorithmSettings(algorithm, args.lr), ...(args.pushShare === null ? {} : { pushShare: args.pushShare }), ...(args.encoding === null || algorithm !== 'rfast' ? {} : { encoding: args.encoding }) };
        let transit = 0;
        let transitRecords = 0;
        const result = await runSimulationAsync({
          n: s.n,
          algorithm: coreName(algorithm),
          settings,
          topology: { kind: BENCH_CONFIG.topology },
          problem: task.problem(s.n, s.split, seed),
          network: networkModel(s, BENCH_CONFIG.network.sendBuffer),
          compute: computeModel(s, args.stepTime),
          stop: { time: budget },
          // A record every step time: each peer's model is folded into its average once per step.
          record: { interval: args.stepTime, maxRecords: 2 * args.steps + 16, perPeer: false },
          seed,
          observe: (o) => {
            if (o.record.massInTransit !== undefined) {
              transit += o.record.massInTransit;
              transitRecords += 1;
            }
            for (const id of o.live) {
              const x = o.model(id);
              const avg = averaged.get(id);
              if (avg === undefined) averaged.set(id, Float32Array.from(x));
              else for (let j = 0; j < x.length; j++) avg[j] = keep * avg[j] + (1 - keep) * x[j];
            }
            if (o.final || o.record.time >= budget * (1 - 1e-9)) {
              own = new Map(o.live.map((id) => [id, o.model(id).slice()]));
              return 'stop';
            }
            return undefined;
          },
        });
        const accuracy = async (x: Float32Array) => (await task.evaluate(x, EVAL_COUNT)).accuracy ?? Number.NaN;
        const models = [...own.values()];
        const xbar = new Float32Array(models[0].length);
        for (const m of models) for (let j = 0; j < xbar.length; j++) xbar[j] += m[j] / models.length;
        const ownAcc: number[] = [];
        const avgAcc: number[] = [];
        for (const [id, x] of own) {
          ownAcc.push(await accuracy(x));
          avgAcc.push(await accuracy(averaged.get(id)!));
        }
        console.log(
          `${algorithm} lr ${args.lr} ${args.split} seed ${seed}${args.pushShare === null ? '' : ` push share ${args.pushShare}`}${args.encoding === null ? '' : ` encoding ${args.encoding}`}: ` +
            `average model ${pct(await accuracy(xbar))}% | own models mean ${pct(mean(ownAcc))}% worst ${pct(Math.min(...ownAcc))}% | ` +
            `their ${args.window}-step averages mean ${pct(mean(avgAcc))}% worst ${pct(Math.min(...avgAcc))}%`,
        );
        const f = result.final;
        const sum = (key: 'rejected' | 'stale' | 'clipped') => result.peers.reduce((p, q) => p + (q.algo[key] ?? 0), 0);
        console.log(
          `  frames: ${f.messagesSent} sent (${(f.bytesSent / s.n / budget / 1e6).toFixed(2)} MB/s per peer), ${pct(f.messagesDropped / Math.max(1, f.messagesSent))}% dropped, ${pct(f.messagesSkipped / Math.max(1, f.messagesSent + f.messagesSkipped))}% skipped; ` +
            `at the receivers ${sum('rejected')} refused, ${sum('stale')} stale, ${sum('clipped')} clipped; ${(result.totals.steps / s.n).toFixed(0)} steps per peer` +
            (transitRecords === 0 ? '' : `; mass in transit ${pct(transit / transitRecords)}% (mean over the run)`),
        );
      }
    }
  } finally {
    await task.dispose();
  }
}

runMain(main);
