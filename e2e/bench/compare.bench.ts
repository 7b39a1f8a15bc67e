import { test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AlgorithmName } from '@starling/core';
import { DEFAULT_LR } from '@starling/protocol';
import { launchChromium } from '../support/chromium';
import { IndependentEvaluator } from '../support/evaluate';
import { startServer } from '../support/server';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from '../support/swarm';

/**
 * R-FAST against Ring-AllReduce and D-PSGD in real Chromium tabs over real WebRTC, one tab slowed
 * down 4x on purpose. On 2 shared cores absolute times mean little; the ratio of times to the
 * target accuracy (every tab's model, scored here on the full test set) is the figure.
 *
 *   npm run bench:browser            (writes results/browser-comparison.md)
 */

const TABS = 4;
const SLOW = 4;
const TARGETS = [0.9, 0.92, 0.94];
const TOKEN = 'bench-owner-token-0123456789';
const CAP_MS = Number(process.env.BENCH_CAP_S ?? 300) * 1000;
/** `BENCH_ALGOS=rfast,dpsgd` runs a subset. */
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const ALGORITHMS: [AlgorithmName, number][] = (['rfast', 'allreduce', 'dpsgd'] as const)
  .filter((a) => !process.env.BENCH_ALGOS || process.env.BENCH_ALGOS.split(',').includes(a))
  .map((a) => [a, DEFAULT_LR[a]]);

interface Row { algorithm: string; seconds: (number | null)[]; finalAcc: number[]; steps: number[] }

async function setPaused(url: string, paused: boolean): Promise<void> {
  const r = await fetch(`${url}/api/run/state`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ paused }),
  });
  if (!r.ok) throw new Error(`pause=${paused} answered ${r.status}`);
}

test('R-FAST vs AllReduce vs D-PSGD with one straggler, real tabs', async () => {
  const browser = await launchChromium();
  const evaluator = await IndependentEvaluator.create({ task: 'mnist-mlp', taskOptions: { hidden: [64] } });
  const rows: Row[] = [];
  for (const [algorithm, lr] of ALGORITHMS) {
    const server = await startServer({
      runId: `bench-${algorithm}`, algorithm, lr, batchSize: BATCH, task: 'mnist-mlp', taskOptions: { hidden: [64] }, evalEverySteps: 0, snapshotIntervalMs: 0, seed: 7,
    }, { adminToken: TOKEN });
    // Every tab joins a paused run and starts from the same model; the clock starts on resume.
    await setPaused(server.url, true);
    const tabs: Volunteer[] = [];
    try {
      for (let i = 0; i < TABS; i++) {
        tabs.push(await joinVolunteer(browser, server.url, `tab${i}`, `?backends=wasm${i === TABS - 1 ? `&slowdown=${SLOW}` : ''}`));
      }
      await waitFor('all tabs joined and paused', 90_000, async () => {
        const ss = await Promise.all(tabs.map(status));
        return ss.every((s) => s.phase === 'paused' && s.neighboursOpen >= 1 && s.members === TABS) ? true : null;
      }, 500);
      await setPaused(server.url, false);
      const t0 = Date.now();
      const seconds: (number | null)[] = TARGETS.map(() => null);
      let last: number[] = [];
      await waitFor(`every tab at ${TARGETS.at(-1)}`, CAP_MS, async () => {
        last = await Promise.all(tabs.map(async (v) => evaluator.accuracy(await modelOf(v))));
        const t = (Date.now() - t0) / 1000;
        TARGETS.forEach((target, k) => {
          if (seconds[k] === null && last.every((a) => a >= target)) seconds[k] = t;
        });
        return seconds.every((x) => x !== null) ? true : null;
      }, 2000).catch(() => null);
      const steps = (await Promise.all(tabs.map(status))).map((s) => s.steps);
      rows.push({ algorithm, seconds, finalAcc: last, steps });
      console.log(`${algorithm}: seconds to ${TARGETS.join('/')} in every tab: ${seconds.map((x) => x?.toFixed(1) ?? '—').join(' / ')}; steps ${steps.join(' ')}; accuracy ${last.map((a) => a.toFixed(3)).join(' ')}`);
    } finally {
      await closeAll(tabs);
      await server.stop();
    }
  }
  await evaluator.dispose();
  await browser.close();

  const rf = rows.find((r) => r.algorithm === 'rfast');
  const cell = (r: Row, k: number) => {
    const v = r.seconds[k];
    const base = rf?.seconds[k];
    return v === null ? `> ${CAP_MS / 1000}` : `${v.toFixed(1)}${base ? ` (${(v / base).toFixed(2)}x)` : ''}`;
  };
  const lines = [
    `# In-browser comparison (${TABS} Chromium tabs, wasm backend, tab ${TABS - 1} slowed ${SLOW}x)`,
    '',
    `Time from resuming a paused run (all tabs joined, same starting model) until every tab's model reaches the target on the`,
    `10,000-image MNIST test set, scored in Node from the tab's parameters every 2 s; in brackets the ratio to R-FAST.`,
    `MLP 784-64-10, batch ${BATCH}, lr ${ALGORITHMS.map(([a, lr]) => `${lr} (${a})`).join(', ')}, exponential graph (R-FAST), ring (AllReduce), Metropolis weights (D-PSGD).`,
    `Command: \`npm run bench:browser\` (cap ${CAP_MS / 1000} s per algorithm). Measured ${new Date().toISOString()}.`,
    '',
    `| algorithm | ${TARGETS.map((t) => `s to ${t * 100}%`).join(' | ')} | steps per tab (last is the slow tab) | final accuracy per tab |`,
    `|---|${TARGETS.map(() => '---').join('|')}|---|---|`,
    ...rows.map((r) => `| ${r.algorithm} | ${TARGETS.map((_, k) => cell(r, k)).join(' | ')} | ${r.steps.join(', ')} | ${r.finalAcc.map((a) => a.toFixed(3)).join(', ')} |`),
    '',
  ];
  mkdirSync('results', { recursive: true });
  writeFileSync('results/browser-comparison.md', lines.join('\n'));
  console.log(lines.join('\n'));
});
