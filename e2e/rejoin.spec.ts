import { expect, test } from '@playwright/test';
import type { PeersPayload, RunConfigInput } from '@starling/protocol';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, status, waitFor, type Volunteer } from './support/swarm';

/**
 * The server dies under a training tab (SIGKILL, as in a crash) and comes back on the same port
 * and data: the tab keeps stepping meanwhile (R-FAST never waits), says it is reconnecting, and
 * once the restarted server welcomes it into the same run it says "training" again with its own
 * model. Before the fix it trained on but showed "Lost the server; reconnecting..." for good.
 */
const RUN: RunConfigInput = { ...RFAST_MNIST_RUN, runId: 'e2e-rejoin' };

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

async function livePeers(url: string): Promise<PeersPayload['peers']> {
  const res = await fetch(`${url}/api/peers`);
  return ((await res.json()) as PeersPayload).peers.filter((p) => p.state === 'live');
}

test('a tab keeps training through a server restart and leaves "reconnecting" once it is back', async () => {
  server = await startServer(RUN);
  const { port, dataDir } = server;
  const tab = await joinVolunteer(env.browser, server.url, 'tab', '?backends=wasm');
  tabs.push(tab);
  await waitFor('the tab training', 120_000, async () => {
    const s = await status(tab);
    return s.phase === 'training' && s.steps > 0 ? s : null;
  });
  const runId = (await status(tab)).runId;

  await server.kill();
  server = null;
  const away = await waitFor('the tab to notice the server is gone', 60_000, async () => {
    const s = await status(tab);
    return s.phase === 'reconnecting' ? s : null;
  }, 250);
  await expect(tab.page.getByText('Lost the server; reconnecting…')).toBeVisible();
  await waitFor('the tab to step on without its server', 30_000, async () => ((await status(tab)).steps > away.steps ? true : null), 250);

  server = await startServer(RUN, { dataDir, port });
  const back = await waitFor('the tab to say it is training again', 120_000, async () => {
    const s = await status(tab);
    return s.phase === 'training' ? s : null;
  }, 250);
  expect(back.runId).toBe(runId);
  expect(back.startedFrom).toBe('own model (rejoined)');
  await expect(tab.page.getByText('Lost the server; reconnecting…')).toHaveCount(0);
  const url = server.url;
  await waitFor('the restarted server to list the tab as a live peer that reports steps', 60_000, async () => {
    const live = await livePeers(url);
    return live.length === 1 && live[0].steps > 0 ? true : null;
  }, 500);
});
