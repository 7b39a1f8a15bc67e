import { test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AlgorithmName } from '@starling/core';
import { ALGORITHM_NAMES } from '@starling/protocol';
import { launchChromium } from '../support/chromium';
import { IndependentEvaluator } from '../support/evaluate';
import { startServer } from '../support/server';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from '../support/swarm';

/**
 * The compute-bound tasks in real tabs without a GPU: BENCH_TABS tabs (default 4) train the
 * built-in LeNet (BENCH_TASK mnist-cnn, the default, or fashion-mnist-cnn; 54,314 parameters) on the wasm backend, which trains conv nets with
 * @starling/training's own Conv2DBackpropFilter (wasm-conv-grad.ts). Every BENCH_EVERY_S seconds
 * each tab's model is scored on the full test set in this process (that costs CPU the tabs would
 * otherwise have: the figures say how much), until every tab is at BENCH_TARGET in the same round
 * or BENCH_CAP_S passes. It records each tab's first round at the target too (a noisy tab can pass
 * it and fall back, so the two can differ). Issue 10's targets with 4 tabs: 98% on mnist-cnn, 88% on fashion-mnist-cnn.
 *
 *   BENCH_ALGO=rfast BENCH_LR=0.15 BENCH_SEED=1 \
 *     npx playwright test --config playwright.bench.config.ts e2e/bench/cnn-tabs.bench.ts
 *
 * writes results/cnn-tabs/[<task>-]<algo>-lr<lr>-seed<seed>[-cap<BENCH_CAP_S, unless 900>].json and prints the curve.
 */

const TABS = Number(process.env.BENCH_TABS ?? 4);
const ALGO = (process.env.BENCH_ALGO ?? 'rfast') as AlgorithmName;
const LR = Number(process.env.BENCH_LR ?? 0.15);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const TARGET = Number(process.env.BENCH_TARGET ?? 0.98);
const EVERY_S = Number(process.env.BENCH_EVERY_S ?? 60);
const DEFAULT_CAP_S = 900;
const CAP_S = Number(process.env.BENCH_CAP_S ?? DEFAULT_CAP_S);
const BATCH = 32;
const TASK = process.env.BENCH_TASK ?? 'mnist-cnn';
const CNN = { task: TASK, taskOptions: {} };

interface Point { t: number; steps: number[]; accuracy: number[]; evalSeconds: number }

test(`${TASK} in ${TABS} real tabs on wasm with ${ALGO}`, async () => {
  // The cap plus start-up and the last scoring round, whatever the bench config's default.
  test.setTimeout((CAP_S + EVERY_S + 600) * 1000);
  if (TASK !== 'mnist-cnn' && TASK !== 'fashion-mnist-cnn') throw new Error('BENCH_TASK must be mnist-cnn or fashion-mnist-cnn');
  if (!ALGORITHM_NAMES.includes(ALGO)) throw new Error(`BENCH_ALGO must be one of ${ALGORITHM_NAMES.join(', ')}`);
  if (!(LR > 0) || !Number.isInteger(SEED) || !(TABS >= 1) || !(TARGET > 0 && TARGET <= 1)) throw new Error('bad BENCH_LR / BENCH_SEED / BENCH_TABS / BENCH_TARGET');
  const browser = await launchChromium();
  const evaluator = await IndependentEvaluator.create(CNN);
  const server = await startServer({ runId: `${TASK}-${ALGO}-${LR}-${SEED}`, algorithm: ALGO, lr: LR, seed: SEED, batchSize: BATCH, ...CNN, evalEverySteps: 0, snapshotIntervalMs: 0 });
  const tabs: Volunteer[] = [];
  const curve: Point[] = [];
  let reachedAt: (number | null)[] = [];
  /** The first scoring round with every tab at the target (stricter than each tab's first time). */
  let together: number | null = null;
  let backends: string[] = [];
  try {
    for (let i = 0; i < TABS; i++) tabs.push(await joinVolunteer(browser, server.url, `tab${i}`, '?backends=wasm'));
    const first = await waitFor('every tab stepping', 300_000, async () => {
      const s = await Promise.all(tabs.map(status));
      if (s.some((x) => x.phase === 'error')) throw new Error(s.map((x) => x.error?.message).join('; '));
      return s.every((x) => x.steps > 0) ? s : null;
    });
    backends = first.map((s) => `${s.backend}/${s.kernels}`);
    const t0 = Date.now();
    reachedAt = tabs.map(() => null);
    for (;;) {
      await new Promise((r) => setTimeout(r, EVERY_S * 1000));
      const t = (Date.now() - t0) / 1000;
      const s = await Promise.all(tabs.map(status));
      if (s.some((x) => x.phase === 'error')) throw new Error(s.map((x) => x.error?.message).join('; '));
      const e0 = Date.now();
      const accuracy: number[] = [];
      for (const v of tabs) accuracy.push(await evaluator.accuracy(await modelOf(v)));
      const point = { t, steps: s.map((x) => x.steps), accuracy, evalSeconds: (Date.now() - e0) / 1000 };
      curve.push(point);
      accuracy.forEach((a, i) => {
        if (a >= TARGET && reachedAt[i] === null) reachedAt[i] = t;
      });
      console.log(`t=${t.toFixed(0)}s steps ${point.steps.join(' ')} accuracy ${accuracy.map((a) => a.toFixed(4)).join(' ')} (scoring took ${point.evalSeconds.toFixed(1)} s)`);
      if (accuracy.every((a) => a >= TARGET)) together = t;
      if (together !== null || t > CAP_S) break;
    }
  } finally {
    await closeAll(tabs);
    await server.stop();
    await browser.close();
    await evaluator.dispose();
  }
  const all = reachedAt.every((r) => r !== null) ? Math.max(...(reachedAt as number[])) : null;
  console.log(`${TASK}, ${ALGO} lr ${LR} seed ${SEED}, ${TABS} tabs (${backends.join(', ')}): ${all === null ? `not every tab reached ${TARGET} in ${CAP_S} s` : `every tab at ${TARGET} after ${all.toFixed(0)} s`} (per tab: ${reachedAt.map((r) => (r === null ? '-' : r.toFixed(0))).join(', ')}); all in one round: ${together === null ? 'never' : `${together.toFixed(0)} s`}`);
  mkdirSync('results/cnn-tabs', { recursive: true });
  // Another cap than the default gets its own file, so it does not overwrite the default run's.
  const out = `results/cnn-tabs/${TASK === 'mnist-cnn' ? '' : `${TASK}-`}${ALGO}-lr${LR}-seed${SEED}${CAP_S === DEFAULT_CAP_S ? '' : `-cap${CAP_S}`}.json`;
  writeFileSync(out, JSON.stringify({
    measuredAt: new Date().toISOString(),
    task: TASK,
    command: `BENCH_TASK=${TASK} BENCH_TABS=${TABS} BENCH_ALGO=${ALGO} BENCH_LR=${LR} BENCH_SEED=${SEED} BENCH_TARGET=${TARGET} BENCH_EVERY_S=${EVERY_S} BENCH_CAP_S=${CAP_S} npx playwright test --config playwright.bench.config.ts e2e/bench/cnn-tabs.bench.ts`,
    tabs: TABS, batch: BATCH, backends, target: TARGET, secondsToTargetPerTab: reachedAt, secondsToTargetAll: all, secondsToTargetTogether: together, curve,
  }, null, 2));
  console.log(`wrote ${out}`);
});
