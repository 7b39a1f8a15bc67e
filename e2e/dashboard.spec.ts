import { request as httpRequest } from 'node:http';
import { expect, test, type Browser, type Page } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { ensurePacked, loadPackedSet } from '@starling/tasks/node';
import { DEFAULT_LR, type RunConfigInput } from '@starling/protocol';
import { launchChromium } from './support/chromium';
import { IndependentEvaluator } from './support/evaluate';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, status, waitFor, type Volunteer } from './support/swarm';

/**
 * What the run's owner sees, with real parts: two Chromium tabs train, the dashboard (another tab)
 * follows them live, the server evaluates uploaded snapshots itself, the owner downloads the model
 * in TF.js format, a non-owner is refused, and the history survives a server restart.
 */

const TOKEN = 'e2e-owner-token-0123456789';
const TASK = { task: 'mnist-mlp', taskOptions: { hidden: [64] } };
const RUN: RunConfigInput = {
  runId: 'e2e-dashboard',
  ...TASK,
  evalEverySteps: 0,
  snapshotIntervalMs: 2000,
};

let browser: Browser;
let server: TestServer | null = null;
let tabs: Volunteer[] = [];
let dashboard: Page | null = null;

test.beforeAll(async () => {
  browser = await launchChromium();
});

test.afterAll(async () => {
  await browser?.close();
});

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus && server) console.error(`server log:\n${server.log().slice(-4000)}`);
  await dashboard?.context().close();
  dashboard = null;
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
});

interface Evaluation {
  peerId: number;
  snapshotSteps: number;
  accuracy: number;
}

/**
 * One request to the server on a connection of its own. Node's fetch reuses pooled keep-alive
 * sockets, and this test blocks its event loop for seconds (scoring a model synchronously); a
 * socket the server closed meanwhile was then reused and the request failed with `write EPIPE`.
 * The server now keeps idle connections for a minute (SERVER_TUNING.keepAliveTimeoutMs), and this
 * helper does not reuse connections at all, so neither side can race the other.
 */
function api<T>(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server!.url}${path}`, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
        } catch (e) {
          reject(new Error(`${init.method ?? 'GET'} ${path}: the answer is not JSON: ${String(e)}`));
        }
      });
      res.once('error', reject);
    });
    req.once('error', (e) => reject(new Error(`${init.method ?? 'GET'} ${path} failed: ${e.message}`)));
    req.end(init.body);
  });
}

/** Accuracy of a tf.LayersModel on the full MNIST test set, computed here in Node. */
async function layersModelAccuracy(model: tf.LayersModel): Promise<number> {
  const test = await loadPackedSet((await ensurePacked('.data/e2e')).test);
  const correct = tf.tidy(() => {
    const xs = tf.tensor2d(Float32Array.from(test.features, (v) => v / 255), [test.count, 784]);
    const pred = (model.predict(xs) as tf.Tensor).argMax(1);
    return pred.equal(tf.tensor1d(test.targets as Uint8Array, 'int32')).sum().dataSync()[0];
  });
  return correct / test.count;
}

test('the owner follows two training tabs live, gets server-evaluated accuracy and the model; others cannot steer', async () => {
  server = await startServer(RUN, { adminToken: TOKEN });
  tabs = [await joinVolunteer(browser, server.url, 'tab0', '?backends=wasm'), await joinVolunteer(browser, server.url, 'tab1', '?backends=wasm')];

  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  dashboard = await ctx.newPage();
  await dashboard.goto(`${server.url}/dashboard#token=${TOKEN}`);

  // Two live peers in the table, points in the loss chart, a server evaluation shown.
  await expect(dashboard.getByTestId('peer-row')).toHaveCount(2, { timeout: 60_000 });
  await expect(dashboard.locator('[data-testid="dash-loss-chart"][data-points]')).toBeVisible({ timeout: 60_000 });
  await expect.poll(async () => Number(await dashboard!.getByTestId('dash-loss-chart').getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(2);
  await expect(dashboard.getByTestId('dash-accuracy-latest')).toHaveText(/\d+(\.\d+)?\s?%/, { timeout: 60_000 });
  await expect(dashboard.getByTestId('dash-topology')).toBeVisible();

  // Screenshots of both users' views during training, kept as test artifacts.
  await dashboard.screenshot({ path: test.info().outputPath('dashboard.png'), fullPage: true });
  await tabs[0].page.screenshot({ path: test.info().outputPath('volunteer.png'), fullPage: true });

  // Without the token, or with a wrong one, the server refuses to pause the run.
  const anon = await api<{ error: { code: string } }>('/api/run/state', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paused: true }),
  });
  expect(anon.status).toBe(401);
  const wrong = await api<{ error: { code: string } }>('/api/run/state', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' }, body: JSON.stringify({ paused: true }),
  });
  expect(wrong.status).toBe(403);
  expect((await status(tabs[0])).paused).toBe(false);

  // The owner pauses from the dashboard: the tabs stop stepping.
  await dashboard.getByTestId('dash-pause').click();
  await waitFor('both tabs paused', 15_000, async () => {
    const ss = await Promise.all(tabs.map(status));
    return ss.every((s) => s.phase === 'paused') ? ss : null;
  }, 250);

  // The new-run form suggests each algorithm's step size until the owner types one.
  const newLr = dashboard.getByTestId('dash-new-lr');
  await dashboard.getByTestId('dash-new-algorithm').selectOption('osgp');
  await expect(newLr).toHaveValue(String(DEFAULT_LR.osgp));
  await dashboard.getByTestId('dash-new-algorithm').selectOption('dpsgd');
  await expect(newLr).toHaveValue(String(DEFAULT_LR.dpsgd));
  await newLr.fill('0.2');
  await dashboard.getByTestId('dash-new-algorithm').selectOption('osgp');
  await expect(newLr).toHaveValue('0.2');

  // The model the owner downloads loads with tf.loadLayersModel and scores what the server measured
  // for that very checkpoint (the run is paused, so no newer snapshot replaces it meanwhile).
  const runId = RUN.runId!;
  const ckpt = await fetch(`${server.url}/api/runs/${runId}/checkpoint`);
  expect(ckpt.status).toBe(200);
  const peer = Number(ckpt.headers.get('x-starling-peer'));
  const steps = Number(ckpt.headers.get('x-starling-steps'));
  const model = await tf.loadLayersModel(
    tf.io.http(`${server.url}/api/runs/${runId}/model/model.json`, { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }),
  );
  const downloaded = await layersModelAccuracy(model);
  model.dispose();
  const evals = (await api<{ evaluations: Evaluation[] }>(`/api/runs/${runId}/evaluations`)).body.evaluations;
  const same = evals.find((e) => e.peerId === peer && e.snapshotSteps === steps);
  expect(same, `an evaluation of peer ${peer}'s snapshot at step ${steps}`).toBeDefined();
  console.log(`downloaded model: ${(downloaded * 100).toFixed(2)}%, server evaluation of that checkpoint: ${(same!.accuracy * 100).toFixed(2)}%`);
  expect(Math.abs(downloaded - same!.accuracy)).toBeLessThan(1e-6);
  // And it is the same vector the raw checkpoint holds, scored independently.
  const raw = new Float32Array(await ckpt.arrayBuffer());
  const evaluator = await IndependentEvaluator.create(TASK);
  expect(Math.abs((await evaluator.accuracy(raw)) - downloaded)).toBeLessThan(1e-6);
  await evaluator.dispose();
});

test('after a server restart the run history is still listed', async () => {
  server = await startServer(RUN, { adminToken: TOKEN });
  tabs = [await joinVolunteer(browser, server.url, 'tab0', '?backends=wasm')];
  await waitFor('a server evaluation', 60_000, async () => {
    const e = (await api<{ evaluations: Evaluation[] }>(`/api/runs/${RUN.runId}/evaluations`)).body.evaluations;
    return e.length > 0 ? e : null;
  });
  await closeAll(tabs);
  tabs = [];
  const dataDir = server.dataDir;
  await server.stop();

  server = await startServer({ ...RUN, runId: 'e2e-dashboard-2' }, { adminToken: TOKEN, dataDir, newRun: true });
  const runs = (await api<{ runs: { runId: string; status: string }[] }>('/api/runs')).body.runs;
  expect(runs.map((r) => r.runId)).toEqual(expect.arrayContaining(['e2e-dashboard', 'e2e-dashboard-2']));
  const evals = (await api<{ evaluations: Evaluation[] }>(`/api/runs/${RUN.runId}/evaluations`)).body.evaluations;
  expect(evals.length).toBeGreaterThan(0);

  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  dashboard = await ctx.newPage();
  await dashboard.goto(`${server.url}/dashboard`);
  await expect(dashboard.getByTestId('run-row').filter({ hasText: 'e2e-dashboard' })).toHaveCount(2, { timeout: 30_000 });
  // Without a token the owner's controls are not offered.
  await expect(dashboard.getByTestId('dash-pause')).toHaveCount(0);
  await expect(dashboard.getByTestId('dash-admin-note')).toBeVisible();
});
