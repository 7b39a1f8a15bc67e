import { expect, test } from '@playwright/test';
import type { AlgorithmName } from '@starling/core';
import { MLP64, useSpecEnvironment } from './support/environment';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from './support/swarm';

/**
 * The comparison algorithms run on the same real peers as R-FAST: the synchronous ones over the
 * reliable data channel (a single lost or early-dropped frame would deadlock them), the gossip one
 * over the lossy channel. Each must keep every tab stepping and learn.
 */

/**
 * Step sizes: 0.3 works for the model-averaging algorithms here. Push-sum steps on the numerator,
 * so its de-biased model moves by lr / w, and a fast peer that keeps pushing half its weight while
 * it waits drives w down toward 2^-tau: at lr 0.1, one run in five on a quiet machine had a tab
 * diverge (accuracy 0.1-0.6 at 60 steps); at 0.05 six runs in a row ended at 77-90% in every tab.
 */
const BASELINES: [AlgorithmName, number][] = [['allreduce', 0.3], ['dpsgd', 0.3], ['adpsgd', 0.3], ['osgp', 0.05], ['gossip', 0.3]];
const TABS = 3;
const STEPS = 60;

const env = useSpecEnvironment();
let server: TestServer | null = null;
let tabs: Volunteer[] = [];

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus && server) console.error(`server log:\n${server.log().slice(-3000)}`);
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
});

for (const [algorithm, lr] of BASELINES) {
  test(`${algorithm} trains in ${TABS} real tabs`, async () => {
    server = await startServer({
      runId: `e2e-${algorithm}`, algorithm, model: MLP64, lr, evalEverySteps: 0, snapshotIntervalMs: 0,
    });
    for (let i = 0; i < TABS; i++) tabs.push(await joinVolunteer(env.browser, server.url, `tab${i}`, '?backends=wasm'));
    const t0 = Date.now();
    const ss = await waitFor(`every tab past ${STEPS} steps`, 120_000, async () => {
      const s = await Promise.all(tabs.map(status));
      if (s.some((x) => x.phase === 'error')) throw new Error(s.map((x) => x.error?.message).join('; '));
      return s.every((x) => x.steps >= STEPS && x.epoch === s[0].epoch) ? s : null;
    });
    const acc = await Promise.all(tabs.map(async (v) => env.evaluator.accuracy(await modelOf(v))));
    console.log(
      `${algorithm}: ${((Date.now() - t0) / 1000).toFixed(1)} s to ${STEPS} steps in every tab; ` +
        ss.map((s, i) => `tab${i} steps=${s.steps} blocked=${(s.blockedMs / 1000).toFixed(1)}s acc=${acc[i].toFixed(3)}`).join(', '),
    );
    for (const s of ss) expect(s.framesRejected).toBe(0);
    for (const a of acc) expect(a).toBeGreaterThan(0.5);
  });
}
