import { expect, test, type Browser } from '@playwright/test';
import type { Socket } from 'socket.io-client';
import { pathTo, SNAPSHOT_HEADERS } from '@starling/protocol';
import { layoutOf } from '@starling/training';
import { launchChromium } from './support/chromium';
import { RFAST_MNIST_RUN } from './support/environment';
import { scriptPeer, scriptReport } from './support/script-peer';
import { startServer, type TestServer } from './support/server';

/**
 * A hostile volunteer (a plain script, as anyone on the internet could run) joins a run, uploads a
 * snapshot of random values in +-1000 and reports absurd telemetry. The real dashboard must list
 * the rejected snapshot with its reason, flag the peer for both, warn about it, and count the
 * refusals under "Server health"; the run gets no checkpoint from it.
 */

let browser: Browser;
let server: TestServer | null = null;
let socket: Socket | null = null;
let keepAlive: ReturnType<typeof setInterval> | null = null;

test.beforeAll(async () => {
  browser = await launchChromium();
});
test.afterAll(async () => {
  await browser?.close();
});
test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus && server) console.error(`server log:\n${server.log().slice(-3000)}`);
  if (keepAlive) clearInterval(keepAlive);
  keepAlive = null;
  socket?.close();
  socket = null;
  await server?.stop();
  server = null;
});

test('the dashboard shows a poisoned snapshot as rejected and flags the hostile peer', async () => {
  server = await startServer({ ...RFAST_MNIST_RUN, runId: 'e2e-hostile', snapshotIntervalMs: 1000 });
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/dashboard`);

  const joined = await scriptPeer(server.url);
  socket = joined.socket;
  const w = joined.welcome;
  socket.emit('telemetry', scriptReport({ steps: 0, samples: 0 }));
  const absurd = scriptReport({ steps: 2 ** 53 - 1, samples: 2 ** 53 - 1, stepsPerSec: 1e308 });
  socket.emit('telemetry', absurd);
  // Once a second, as a peer reports: a script that went quiet would be timed out (peerTimeoutMs)
  // and leave the peers table before a loaded machine has rendered its flags.
  keepAlive = setInterval(() => socket?.emit('telemetry', absurd), 1000);

  const dim = layoutOf(w.task.model).dim;
  const garbage = new Float32Array(dim);
  for (let i = 0; i < dim; i++) garbage[i] = (Math.random() * 2 - 1) * 1000;
  const res = await fetch(`${server.url}${pathTo('snapshots', { runId: w.runId })}`, {
    method: 'POST',
    headers: { [SNAPSHOT_HEADERS.peer]: String(w.peerId), [SNAPSHOT_HEADERS.token]: w.uploadToken, [SNAPSHOT_HEADERS.steps]: '7' },
    body: new Uint8Array(garbage.buffer),
  });
  expect(res.status).toBe(202);

  const row = page.locator(`[data-testid="rejected-snapshot"][data-peer="${w.peerId}"]`);
  await expect(row).toHaveCount(1, { timeout: 60_000 });
  await expect(row).toContainText(/parameter norm .* above 20 x the initial model/);
  const peerRow = page.locator('[data-testid="peer-row"]').filter({ has: page.getByRole('rowheader', { name: String(w.peerId), exact: true }) });
  await expect(peerRow).toHaveAttribute('data-flags', /implausible-telemetry/, { timeout: 30_000 });
  await expect(peerRow).toHaveAttribute('data-flags', /rejected-snapshot/);
  await expect(page.locator(`[data-testid="peer-warning"][data-peer="${w.peerId}"]`)).toHaveCount(2);
  await expect(page.getByTestId('dash-refusals')).toContainText(/implausible telemetry reports/, { timeout: 30_000 });
  await expect(page.getByTestId('dash-refusals')).toContainText(/snapshots rejected as checkpoints/);
  // Nothing for joiners or the download.
  expect((await fetch(`${server.url}${pathTo('checkpoint', { runId: w.runId })}`)).status).toBe(404);
  await page.context().close();
});

test('a rejected snapshot evaluated before the dashboard’s socket joined is listed all the same', async () => {
  // The order of fresh-clone CI s28r1 and s29b, made certain: the dashboard's history is loaded
  // (no evaluations yet), the snapshot is stored and broadcast while its socket has not joined,
  // then the socket joins. Before the fix the row never appeared.
  server = await startServer({ ...RFAST_MNIST_RUN, runId: 'e2e-late-socket', snapshotIntervalMs: 1000 });
  const page = await (await browser.newContext()).newPage();
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await released;
    ws.connectToServer();
  });
  const history = page.waitForResponse((r) => r.url().includes('/evaluations') && r.status() === 200);
  await page.goto(`${server.url}/dashboard`);
  expect(await (await history).json()).toEqual({ evaluations: [] });

  const joined = await scriptPeer(server.url);
  socket = joined.socket;
  const w = joined.welcome;
  const garbage = new Float32Array(layoutOf(w.task.model).dim).fill(1000);
  const res = await fetch(`${server.url}${pathTo('snapshots', { runId: w.runId })}`, {
    method: 'POST',
    headers: { [SNAPSHOT_HEADERS.peer]: String(w.peerId), [SNAPSHOT_HEADERS.token]: w.uploadToken, [SNAPSHOT_HEADERS.steps]: '3' },
    body: new Uint8Array(garbage.buffer),
  });
  expect(res.status).toBe(202);
  await expect.poll(async () => {
    const r = await fetch(`${server!.url}${pathTo('evaluations', { runId: w.runId })}`);
    return ((await r.json()) as { evaluations: unknown[] }).evaluations.length;
  }, { timeout: 30_000 }).toBe(1);
  const row = page.locator(`[data-testid="rejected-snapshot"][data-peer="${w.peerId}"]`);
  await expect(row).toHaveCount(0);

  release();
  await expect(row).toHaveCount(1, { timeout: 30_000 });
  await expect(row).toContainText(/parameter norm .* above 20 x the initial model/);
  await page.context().close();
});
