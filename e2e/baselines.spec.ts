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

/** Each runs at the server's default step size for it (DEFAULT_LR, where the choice is explained). */
const BASELINES: AlgorithmName[] = ['allreduce', 'dpsgd', 'adpsgd', 'osgp', 'gossip'];
const TABS = 3;
/**
 * Every tab trains at least this many steps before it is scored. At 60 steps (batch 32) a healthy
 * tab's accuracy still swung with its last minibatches between about 0.85 and 0.93 (an OSGP tab at
 * 0.848 at lr 0.4 while its neighbours were at 0.885 and 0.896); at 150 a healthy model is clear of
 * the thresholds below and a diverged one (0.10-0.43) is as far off as ever.
 */
const STEPS = 150;
/** Readings of each tab's model, and the steps every tab takes between two of them. */
const READINGS = 3;
const SPACING = 5;

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

for (const algorithm of BASELINES) {
  test(`${algorithm} trains in ${TABS} real tabs`, async () => {
    server = await startServer({
      runId: `e2e-${algorithm}`, algorithm, ...MLP64, evalEverySteps: 0, snapshotIntervalMs: 0,
    });
    for (let i = 0; i < TABS; i++) tabs.push(await joinVolunteer(env.browser, server.url, `tab${i}`, '?backends=wasm'));
    const t0 = Date.now();
    const first = await waitFor(`every tab past ${STEPS} steps`, 120_000, async () => {
      const s = await Promise.all(tabs.map(status));
      if (s.some((x) => x.phase === 'error')) throw new Error(s.map((x) => x.error?.message).join('; '));
      return s.every((x) => x.steps >= STEPS && x.epoch === s[0].epoch) ? s : null;
    });
    const secondsToSteps = (Date.now() - t0) / 1000;
    // Three readings per tab, each after every tab took SPACING more steps; a tab is scored by its
    // median. One reading is one step's model, and one step's model can dip: a CI run read an OSGP
    // tab at 0.765 while its other tabs were healthy (next lowest of 124 tab readings in CI and
    // local runs: 0.852), and in the simulator each peer's own OSGP model sank below 0.8 at 11 of
    // 2,112 instants (lr 0.4, 3 peers, 4 seeds; solo SGD: 1 of 2,112), and traced at every step
    // time (3 seeds) every dip was over within two. A diverged model stays where it is
    // (0.10-0.43), so it fails every reading.
    const readings: number[][] = tabs.map(() => []);
    let ss = first;
    for (let k = 0; k < READINGS; k++) {
      if (k > 0) {
        const before = ss.map((s) => s.steps);
        ss = await waitFor(`every tab ${SPACING} steps on`, 60_000, async () => {
          const s = await Promise.all(tabs.map(status));
          return s.every((x, i) => x.steps >= before[i] + SPACING) ? s : null;
        }, 100);
      }
      const acc = await Promise.all(tabs.map(async (v) => env.evaluator.accuracy(await modelOf(v))));
      acc.forEach((a, i) => readings[i].push(a));
    }
    const median = readings.map((r) => [...r].sort((a, b) => a - b)[Math.floor(r.length / 2)]);
    console.log(
      `${algorithm}: ${secondsToSteps.toFixed(1)} s to ${STEPS} steps in every tab; ` +
        ss.map((s, i) => `tab${i} steps=${s.steps} blocked=${(s.blockedMs / 1000).toFixed(1)}s acc=${readings[i].map((a) => a.toFixed(3)).join('/')}`).join(', '),
    );
    for (const s of ss) expect(s.framesRejected).toBe(0);
    // A broken model (OSGP's diverged tabs ended at 0.10-0.43) is far below any healthy one: a
    // healthy tab's accuracy after 60+ steps at lr 0.3 still swings with its last minibatches
    // (an AD-PSGD tab 465 steps in was once at 0.847 while its neighbours were at 0.926).
    // OSGP, fixed in issue 12, must keep every tab above 0.85 at its tuned lr.
    for (const a of median) expect(a).toBeGreaterThan(algorithm === 'osgp' ? 0.85 : 0.8);
  });
}
