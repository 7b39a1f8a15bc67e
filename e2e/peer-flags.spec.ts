import { expect, test } from '@playwright/test';
import type { Socket } from 'socket.io-client';
import { pathTo } from '@starling/protocol';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { scriptPeer, scriptReport } from './support/script-peer';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, status, waitFor, type Volunteer } from './support/swarm';

/**
 * The owner is warned about a peer whose model diverged: two real tabs train while two buggy
 * volunteers (plain socket.io clients, as any script on the internet could be) join the run. One
 * reports a training loss far above everyone else's, the other reports that its model went
 * non-finite. The real dashboard must name both, mark their rows and leave the real tabs alone.
 */

const env = useSpecEnvironment();
let server: TestServer | null = null;
let tabs: Volunteer[] = [];
const sockets: Socket[] = [];

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus && server) {
    console.error(`server log:\n${server.log().slice(-3000)}`);
    // Which flags each peer carried when it failed (a row's data-flags lists every code it has).
    const peers = await fetch(`${server.url}${pathTo('peers')}`).then((r) => r.text(), (e) => String(e));
    console.error(`peers at failure: ${peers.slice(0, 4000)}`);
  }
  for (const s of sockets.splice(0)) s.close();
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
});

async function buggyVolunteer(url: string): Promise<{ socket: Socket; peerId: number }> {
  const { socket, welcome } = await scriptPeer(url);
  sockets.push(socket);
  return { socket, peerId: welcome.peerId };
}

const report = scriptReport;

test('the dashboard warns about peers whose model diverged and marks them in the peers table', async () => {
  server = await startServer({ ...RFAST_MNIST_RUN, runId: 'e2e-flags', snapshotIntervalMs: 0 });
  for (let i = 0; i < 2; i++) tabs.push(await joinVolunteer(env.browser, server.url, `tab${i}`, '?backends=wasm'));
  await waitFor('both tabs past 20 steps', 90_000, async () => ((await Promise.all(tabs.map(status))).every((s) => s.steps >= 20) ? true : null));

  const dashboard = await (await env.browser.newContext()).newPage();
  await dashboard.goto(`${server.url}/dashboard`);
  const high = await buggyVolunteer(server.url);
  const nonFinite = await buggyVolunteer(server.url);
  // Telemetry once a second, as a peer sends it, until the dashboard shows both warnings.
  const timer = setInterval(() => {
    high.socket.emit('telemetry', report({ loss: 9 }));
    nonFinite.socket.emit('telemetry', report({ loss: null, diverged: true }));
  }, 1000);
  try {
    const warnings = dashboard.getByTestId('peer-warning');
    await expect(warnings).toHaveCount(2, { timeout: 30_000 });
    await expect(dashboard.locator(`[data-testid="peer-warning"][data-peer="${high.peerId}"]`)).toContainText(/loss 9\.00 is far above the run's median/);
    await expect(dashboard.locator(`[data-testid="peer-warning"][data-peer="${nonFinite.peerId}"]`)).toContainText(/non-finite/);
    for (const id of [high.peerId, nonFinite.peerId]) {
      await expect(dashboard.locator('[data-testid="peer-row"][data-flags="diverged"]').filter({ has: dashboard.getByRole('rowheader', { name: String(id), exact: true }) })).toHaveCount(1);
    }
    // The real tabs are not flagged.
    await expect(dashboard.locator('[data-testid="peer-row"][data-flags]')).toHaveCount(2);
  } finally {
    clearInterval(timer);
    await dashboard.context().close();
  }
});
