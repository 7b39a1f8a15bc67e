import { test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { medianOf } from '@starling/bench';
import { RFAST_DEFAULTS, RFAST_ENCODING_NAMES, type AlgorithmName } from '@starling/core';
import { DEFAULT_TUNING } from '@starling/peer';
import { ALGORITHM_NAMES, DEFAULT_LR, parseRunConfig, type PeersPayload } from '@starling/protocol';
import { LINK_PROFILES, type LinkProfileName } from '@starling/transport';
import { launchChromium } from '../support/chromium';
import { IndependentEvaluator } from '../support/evaluate';
import { setRunPaused, startServer } from '../support/server';
import { closeAll, joinVolunteer, status, waitForSwarm, type Volunteer } from '../support/swarm';
import { comparisonMarkdown, type BenchRun } from './compare-report';
import { TabClock } from './tab-clock';

/**
 * Every algorithm in real Chromium tabs over real WebRTC, on each link profile, one tab slowed
 * down 4x on purpose. On 2 shared cores absolute times mean little; the ratios between algorithms
 * on the same profile (every tab's model, scored here on the full test set) are the figure.
 *
 *   npm run bench:browser     (writes results/browser-comparison.json and .md)
 *
 * Environment (all optional):
 *   BENCH_TASK=mnist-cnn           the task (default mnist-mlp 784-64-10; mnist-cnn, the compute-bound
 *                                  regime, writes results/browser-comparison-mnist-cnn.json and .md)
 *   BENCH_PROFILES=loopback,home   link profiles (packages/transport LINK_PROFILES)
 *   BENCH_ALGOS=rfast,solo,...     algorithms (default: every one a run can use but sgp, the tau = 0 OSGP)
 *   BENCH_SEEDS=1,2,3              run seeds (shards, model init, topology)
 *   BENCH_LR=rfast=0.4,dpsgd=0.3   step sizes (default DEFAULT_LR, the per-algorithm picks)
 *   BENCH_LR_GRID=0.1,0.2,0.4      every algorithm at each of these step sizes instead (the report
 *                                  marks each profile's pick per algorithm: pickFastestStep)
 *   BENCH_LOSS=0.3                 injected loss on unreliable frames
 *   BENCH_CAP_S=180                cap per run
 *   BENCH_PUSH_SHARE=0.75          R-FAST's algorithmOptions.pushShare (default: core's)
 *   BENCH_SEND_SHARE=1             R-FAST's algorithmOptions.sendShare (default: the runtime's, DEFAULT_TUNING.defaultSendShare; 1: every slot)
 *   BENCH_ENCODING=i8              R-FAST's algorithmOptions.encoding (default: core's, f16-i8)
 *   BENCH_UPLINK=500000            every tab's uplink, bytes/s, instead of the profile's (same latency)
 *   BENCH_COMPUTE_SHARE=0          the tabs' `?computeShare=` (the adaptive send budget's target; default: the runtime's, 0.9; 0: off)
 *   BENCH_BLOCK=16384              the run's blockSize for every algorithm (parameters per frame; default: the config's)
 *   BENCH_INNER_STEPS=2            the run's innerSteps for every algorithm: SGD steps per step of the algorithm (default: the
 *                                  config's, 1); a tab's steps are then rounds of that many gradients
 *   BENCH_TABS=2                   tabs per run (default 4; the last one is the slowed one)
 *   BENCH_MODEL_AVERAGE=0          the run's modelAverageSteps for every algorithm: each tab hands out (and is scored on)
 *                                  the average of its models over about that many steps (default: the run config's, 50; 0: its model)
 */

const TABS = Number(process.env.BENCH_TABS ?? 4);
if (!Number.isInteger(TABS) || TABS < 2) throw new Error(`BENCH_TABS must be an integer >= 2, got '${process.env.BENCH_TABS}'`);
const SLOW = 4;

/**
 * Per task: its targets, and how each tab is scored. Each tab's model is copied every `readEveryMs`
 * (tab-clock.ts) and every copy is scored after the run; the newest copies are scored every
 * `checkEveryMs` to know when to stop. A CNN's full test set costs 2-4 s of a core per copy here, so
 * a CNN is scored on its first 2,000 test images and copied less often.
 */
const BENCH_TASKS = {
  'mnist-mlp': { ref: { task: 'mnist-mlp', taskOptions: { hidden: [64] } }, label: 'mnist-mlp 784-64-10', targets: [0.9, 0.92], readEveryMs: 500, checkEveryMs: 2000, evalCount: undefined },
  'mnist-cnn': { ref: { task: 'mnist-cnn', taskOptions: {} }, label: 'mnist-cnn (LeNet, 54,314 parameters)', targets: [0.9, 0.95], readEveryMs: 5000, checkEveryMs: 10_000, evalCount: 2000 },
} as const;
type BenchTaskName = keyof typeof BENCH_TASKS;
const TASK_NAME = (process.env.BENCH_TASK ?? 'mnist-mlp') as BenchTaskName;
if (!(TASK_NAME in BENCH_TASKS)) throw new Error(`BENCH_TASK must be one of ${Object.keys(BENCH_TASKS).join(', ')}, got '${TASK_NAME}'`);
const TASK = BENCH_TASKS[TASK_NAME];
const TARGETS = TASK.targets;
const OUT = TASK_NAME === 'mnist-mlp' ? 'results/browser-comparison' : `results/browser-comparison-${TASK_NAME}`;
const TOKEN = 'bench-owner-token-0123456789';
/** Test images of the in-run check whether every tab may have reached the last target (tab-clock.ts). */
const QUICK_EVAL = 1000;
/** How often the tabs' status (mass in transit, compute share, staleness) is sampled. */
const STATUS_EVERY_MS = 2000;
const CAP_MS = Number(process.env.BENCH_CAP_S ?? 180) * 1000;
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const LOSS = Number(process.env.BENCH_LOSS ?? 0);
const SEND_SHARE = process.env.BENCH_SEND_SHARE === undefined ? null : Number(process.env.BENCH_SEND_SHARE);
const UPLINK = process.env.BENCH_UPLINK === undefined ? null : Number(process.env.BENCH_UPLINK);
const COMPUTE_SHARE = process.env.BENCH_COMPUTE_SHARE === undefined ? null : Number(process.env.BENCH_COMPUTE_SHARE);
const MODEL_AVERAGE = process.env.BENCH_MODEL_AVERAGE === undefined ? null : Number(process.env.BENCH_MODEL_AVERAGE);
const BLOCK = process.env.BENCH_BLOCK === undefined ? null : Number(process.env.BENCH_BLOCK);
const INNER_STEPS = process.env.BENCH_INNER_STEPS === undefined ? null : Number(process.env.BENCH_INNER_STEPS);
const PUSH_SHARE = process.env.BENCH_PUSH_SHARE === undefined ? null : Number(process.env.BENCH_PUSH_SHARE);
const ENCODING = process.env.BENCH_ENCODING ?? null;
if (ENCODING !== null && !(RFAST_ENCODING_NAMES as readonly string[]).includes(ENCODING)) throw new Error(`BENCH_ENCODING must be one of ${RFAST_ENCODING_NAMES.join(', ')}, got '${ENCODING}'`);
const list = (v: string | undefined): string[] | null => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null);

const PROFILES = (list(process.env.BENCH_PROFILES) ?? ['loopback', 'home']) as LinkProfileName[];
const ALGORITHMS = (list(process.env.BENCH_ALGOS) ?? ALGORITHM_NAMES.filter((a) => a !== 'sgp' && a !== 'rfast-naive')) as AlgorithmName[];
const SEEDS = (list(process.env.BENCH_SEEDS) ?? ['1', '2', '3']).map(Number);
const LR: Partial<Record<AlgorithmName, number>> = Object.fromEntries(
  (list(process.env.BENCH_LR) ?? []).map((kv) => {
    const [a, v] = kv.split('=');
    return [a, Number(v)];
  }),
);

const LR_GRID = list(process.env.BENCH_LR_GRID)?.map(Number) ?? null;
if (LR_GRID !== null && (LR_GRID.some((x) => !(x > 0) || !Number.isFinite(x)) || process.env.BENCH_LR)) {
  throw new Error(`BENCH_LR_GRID must be positive numbers and excludes BENCH_LR, got '${process.env.BENCH_LR_GRID}'`);
}
const stepSizes = (a: AlgorithmName): number[] => LR_GRID ?? [LR[a] ?? DEFAULT_LR[a]];

for (const p of PROFILES) if (!(p in LINK_PROFILES)) throw new Error(`BENCH_PROFILES: unknown profile '${p}'; expected ${Object.keys(LINK_PROFILES).join(', ')}`);
for (const a of ALGORITHMS) if (!ALGORITHM_NAMES.includes(a)) throw new Error(`BENCH_ALGOS: unknown algorithm '${a}'`);

const median = (xs: number[]): number | null => {
  const finite = xs.filter(Number.isFinite);
  return finite.length === 0 ? null : medianOf(finite);
};

test('every algorithm on each link profile with one straggler, real tabs', async () => {
  // Each run is capped, plus about half a minute to join; the whole matrix may take hours.
  test.setTimeout(PROFILES.length * ALGORITHMS.length * (LR_GRID?.length ?? 1) * SEEDS.length * (CAP_MS + 120_000) + 120_000);
  const browser = await launchChromium();
  const evaluator = await IndependentEvaluator.create(TASK.ref, TASK.evalCount);
  const quickEvaluator = await IndependentEvaluator.create(TASK.ref, Math.min(QUICK_EVAL, evaluator.count));
  const runs: BenchRun[] = [];
  const measuredAt = new Date().toISOString();
  for (const profile of PROFILES) {
    for (const algorithm of ALGORITHMS) {
      for (const [lr, seed] of stepSizes(algorithm).flatMap((x) => SEEDS.map((sd) => [x, sd] as const))) {
        const server = await startServer({
          runId: `bench-${profile}-${algorithm}-${lr}-${seed}`, algorithm, lr, batchSize: BATCH, ...TASK.ref,
          evalEverySteps: 0, snapshotIntervalMs: 0, ...(MODEL_AVERAGE === null ? {} : { modelAverageSteps: MODEL_AVERAGE }), ...(BLOCK === null ? {} : { blockSize: BLOCK }), ...(INNER_STEPS === null ? {} : { innerSteps: INNER_STEPS }), seed, network: UPLINK === null ? profile : { ...LINK_PROFILES[profile], uplinkBytesPerSec: UPLINK }, lossRate: LOSS,
          ...(algorithm === 'rfast' && (PUSH_SHARE !== null || SEND_SHARE !== null || ENCODING !== null)
            ? { algorithmOptions: { ...(PUSH_SHARE === null ? {} : { pushShare: PUSH_SHARE }), ...(SEND_SHARE === null ? {} : { sendShare: SEND_SHARE }), ...(ENCODING === null ? {} : { encoding: ENCODING }) } }
            : {}),
        }, { adminToken: TOKEN });
        // Every tab joins a paused run and starts from the same model; the clock starts on resume.
        await setRunPaused(server.url, TOKEN, true);
        const tabs: Volunteer[] = [];
        try {
          for (let i = 0; i < TABS; i++) {
            tabs.push(await joinVolunteer(browser, server.url, `tab${i}`, `?backends=wasm${i === TABS - 1 ? `&slowdown=${SLOW}` : ''}${COMPUTE_SHARE === null ? '' : `&computeShare=${COMPUTE_SHARE}`}`));
          }
          const linked = algorithm === 'solo' ? 0 : 1;
          await waitForSwarm(server.url, tabs, 'paused', linked, 90_000);
          const before = await Promise.all(tabs.map(status));
          await setRunPaused(server.url, TOKEN, false);
          const t0 = Date.now();
          const clock = new TabClock(tabs, evaluator, quickEvaluator, { readEveryMs: TASK.readEveryMs, checkEveryMs: TASK.checkEveryMs, targets: TARGETS });
          const transit: number[] = [];
          const share: number[] = [];
          const budget: number[] = [];
          const stale: number[] = [];
          const statuses = (async () => {
            while (!clock.done) {
              for (const s of await Promise.all(tabs.map(status)).catch(() => [])) {
                if (s.massInTransit !== null) transit.push(s.massInTransit);
                if (s.computeShare !== null) share.push(s.computeShare);
                if (s.sendShare !== null) budget.push(s.sendShare);
                if (s.staleness !== null) stale.push(s.staleness);
              }
              await new Promise((r) => setTimeout(r, STATUS_EVERY_MS));
            }
          })();
          await clock.run(t0 + CAP_MS);
          await statuses;
          const elapsed = (Date.now() - t0) / 1000;
          const after = await Promise.all(tabs.map(status));
          // Read now, not after the scoring: an HTTP connection idle that long was closed by the
          // server just as fetch reused it ("other side closed"), which ended a whole matrix.
          const { peers: flaggedPeers } = (await (await fetch(`${server.url}/api/peers`)).json()) as PeersPayload;
          const steps = after.map((s, i) => s.steps - before[i].steps);
          const bytes = after.map((s, i) => s.bytesSent - before[i].bytesSent);
          // Over the timed run only: the status's own share counts from the tab's first step, and its
          // samples include the budget's first seconds, when it has not yet found its share.
          const overRun = (field: 'computeMs' | 'gradientBusyMs') => after.map((s, i) => (s.trainingMs > before[i].trainingMs ? (s[field] - before[i][field]) / (s.trainingMs - before[i].trainingMs) : null));
          const runShare = overRun('computeMs');
          // The same run timed by the worker itself: its gradients' busy time over the loop's time
          // (computeShare also holds the wait for the worker's reply behind the page's frame work).
          const busyShare = overRun('gradientBusyMs');
          // The copies are scored with the tabs closed: scoring takes no CPU from a run being timed.
          await closeAll(tabs.splice(0));
          const scoreStart = Date.now();
          await clock.scoreAll();
          const scoreSeconds = (Date.now() - scoreStart) / 1000;
          const secondsTo = clock.secondsTo(t0);
          const tabSecondsTo = clock.tabSecondsTo(t0);
          const last = clock.finalAccuracy();
          const { reads, meanGapSeconds } = clock.resolution();
          const run: BenchRun = {
            profile, algorithm, encoding: algorithm === 'rfast' ? (ENCODING ?? RFAST_DEFAULTS.defaultEncoding) : null, pushShare: algorithm === 'rfast' ? PUSH_SHARE : null, sendShare: algorithm === 'rfast' ? (SEND_SHARE ?? DEFAULT_TUNING.defaultSendShare) : null, lr, seed, secondsTo,
            bytesPerStepPerPeer: median(bytes.map((b, i) => b / Math.max(1, steps[i]))),
            stepsPerTab: steps,
            massInTransit: median(transit),
            computeShare: median(runShare.filter((x): x is number => x !== null)),
            tabComputeShare: runShare,
            computeShareSampled: median(share),
            busyShare: median(busyShare.filter((x): x is number => x !== null)),
            tabBusyShare: busyShare,
            budgetShare: median(budget),
            computeShareTarget: COMPUTE_SHARE,
            staleness: median(stale),
            finalAccuracy: last.map((a) => Number(a.toFixed(4))),
            tabSecondsTo,
          };
          runs.push(run);
          console.log(`${profile} ${algorithm} seed ${seed} lr ${lr}: s to ${TARGETS.map((t) => `${t * 100}%: ${secondsTo[String(t * 100)]?.toFixed(1) ?? '-'}`).join(', ')}; `
            + `${elapsed.toFixed(1)} s; ${reads.join('/')} copies per tab, ${meanGapSeconds?.toFixed(2) ?? '-'} s apart (${clock.readErrors} failed${clock.firstReadError.map((m, i) => (m === null ? '' : `; tab ${i}: ${m}, now ${after[i].phase}${after[i].error ? ` (${after[i].error.code}: ${after[i].error.message})` : ''}`)).join('')}), scored in ${scoreSeconds.toFixed(1)} s after; per tab to ${TARGETS[0] * 100}%: ${tabSecondsTo[String(TARGETS[0] * 100)].map((s) => s?.toFixed(1) ?? '-').join(' ')}; steps ${steps.join(' ')}; ${run.bytesPerStepPerPeer?.toFixed(0)} B/step/peer; send share ${run.budgetShare?.toFixed(3) ?? '-'}; compute share ${runShare.map((x) => (x === null ? '-' : x.toFixed(2))).join(' ')} (worker busy ${busyShare.map((x) => (x === null ? '-' : x.toFixed(2))).join(' ')}); accuracy ${last.map((a) => a.toFixed(3)).join(' ')}`);
          // Every tab here is honest: one the hostile-frames verdict ejected or flagged is a false positive; say so, with the evidence.
          for (const line of server.log().split('\n').filter((l) => l.includes('ejected for hostile frames'))) console.log(`  server: ${line.trim()}`);
          for (const p of flaggedPeers) for (const f of p.flags.filter((x) => x.code === 'hostile-frames')) console.log(`  server: peer ${p.id} flagged: ${f.message}`);
        } finally {
          await closeAll(tabs);
          await server.stop();
        }
      }
    }
  }
  const evalImages = evaluator.count;
  await evaluator.dispose();
  await quickEvaluator.dispose();
  await browser.close();

  const command = `${['BENCH_TASK', 'BENCH_PROFILES', 'BENCH_ALGOS', 'BENCH_SEEDS', 'BENCH_LR', 'BENCH_LR_GRID', 'BENCH_LOSS', 'BENCH_CAP_S', 'BENCH_PUSH_SHARE', 'BENCH_SEND_SHARE', 'BENCH_ENCODING', 'BENCH_UPLINK', 'BENCH_COMPUTE_SHARE', 'BENCH_MODEL_AVERAGE', 'BENCH_BLOCK', 'BENCH_INNER_STEPS', 'BENCH_TABS'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`).join(' ')} npm run bench:browser`.trim();
  const result = {
    measuredAt,
    command,
    setup: { tabs: TABS, slowTab: { index: TABS - 1, slowdown: SLOW }, backend: 'wasm', task: TASK.label, batch: BATCH, lossRate: LOSS, modelAverageSteps: MODEL_AVERAGE ?? parseRunConfig({}).modelAverageSteps, blockSize: BLOCK ?? parseRunConfig({}).blockSize, innerSteps: INNER_STEPS ?? parseRunConfig({}).innerSteps, capSeconds: CAP_MS / 1000, evalImages, everySeconds: TASK.readEveryMs / 1000 },
    profiles: Object.fromEntries(PROFILES.map((p) => [p, { ...LINK_PROFILES[p], ...(UPLINK === null ? {} : { uplinkBytesPerSec: UPLINK }) }])),
    runs,
  };
  mkdirSync('results', { recursive: true });
  writeFileSync(`${OUT}.json`, `${JSON.stringify(result, null, 1)}\n`);
  const md = comparisonMarkdown(result);
  writeFileSync(`${OUT}.md`, md);
  console.log(md);
});
