import { expect, test } from '@playwright/test';
import type { PeersPayload, RunConfigInput } from '@starling/protocol';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { startHeadless, type HeadlessPeer } from './support/headless';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from './support/swarm';

/**
 * A hostile volunteer among honest ones (issue 13): three Chromium tabs train R-FAST with a
 * headless peer that negates every model and tracker frame it sends (`--attack sign-flip`, a
 * modified client; the page itself has no attack switch). The tabs' robust mixing clips its model
 * frames, they report that in telemetry, the server convicts it on two tabs' evidence (core's
 * judgeSenders), flags it (the owner's dashboard shows it) and ejects it, and the tabs, now on
 * their own, train on to 90%.
 */
const RUN: RunConfigInput = { ...RFAST_MNIST_RUN, runId: 'e2e-hostile-peer' };
const TARGET = 0.9;

const env = useSpecEnvironment();
let server: TestServer | null = null;
let tabs: Volunteer[] = [];
let attacker: HeadlessPeer | null = null;

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus) {
    if (server) console.error(`server log:\n${server.log().slice(-3000)}`);
    if (attacker) console.error(`attacker log:\n${attacker.log().slice(-2000)}`);
  }
  await attacker?.stop();
  attacker = null;
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
});

async function peers(url: string): Promise<PeersPayload['peers']> {
  const res = await fetch(`${url}/api/peers`);
  return ((await res.json()) as PeersPayload).peers;
}

test('a sign-flipping peer is flagged and ejected on the tabs’ evidence, and the tabs still reach 90%', async () => {
  server = await startServer(RUN);
  const url = server.url;
  for (let i = 0; i < 3; i++) tabs.push(await joinVolunteer(env.browser, url, `tab${i}`, '?backends=wasm'));
  const dashboard = await (await env.browser.newContext()).newPage();
  await dashboard.goto(`${url}/dashboard`);
  await waitFor('three tabs training', 120_000, async () => ((await Promise.all(tabs.map(status))).every((s) => s.phase === 'training' && s.steps > 0) ? true : null));
  attacker = startHeadless(url, 'attacker', ['--attack', 'sign-flip']);
  const bad = await waitFor('the attacker to join and train', 120_000, async () => {
    const s = attacker!.latest();
    return s !== null && s.peerId !== null && s.steps > 0 ? s.peerId : null;
  });
  const t0 = Date.now();

  const gone = await waitFor('the server to eject the attacker', 120_000, async () => {
    const p = (await peers(url)).find((x) => x.id === bad);
    return p !== undefined && p.state !== 'live' && p.flags.some((f) => f.code === 'hostile-frames') ? p : null;
  }, 500);
  const flag = gone.flags.find((f) => f.code === 'hostile-frames')!;
  console.log(`attacker (peer ${bad}) ejected ${((Date.now() - t0) / 1000).toFixed(1)} s after it trained: ${flag.message}`);
  // The log says on which evidence (a false ejection in CI could not be explained without it).
  expect(server.log()).toMatch(new RegExp(`peer ${bad} ejected for hostile frames .*ejected on: (refused|clipped|opposed|mass-opposed)`));
  // The owner sees it: a warning naming the peer, and its row in the peers table marked.
  // A sign-flipper may be flagged for other things too (its own loss can soar): check the frames warning.
  await expect(dashboard.locator(`[data-testid="peer-warning"][data-peer="${bad}"][data-code="hostile-frames"]`)).toContainText(/clipped/, { timeout: 15_000 });
  await expect(dashboard.locator('[data-testid="peer-row"][data-flags~="hostile-frames"]').filter({ has: dashboard.getByRole('rowheader', { name: String(bad), exact: true }) })).toHaveCount(1);
  await dashboard.context().close();

  // Nobody honest was convicted: the three tabs are still live, unflagged for frames.
  const after = await peers(url);
  const honest = after.filter((p) => p.id !== bad && p.state === 'live');
  expect(honest).toHaveLength(3);
  for (const p of honest) expect(p.flags.map((f) => f.code)).not.toContain('hostile-frames');

  const accs = await waitFor(`every tab's model >= ${TARGET * 100}% test accuracy`, 150_000, async () => {
    const a = await Promise.all(tabs.map(async (t) => env.evaluator.accuracy(await modelOf(t))));
    return a.every((x) => x >= TARGET) ? a : null;
  }, 2000);
  const ss = await Promise.all(tabs.map(status));
  console.log(`tabs at ${accs.map((a) => (a * 100).toFixed(1)).join(', ')}% ${((Date.now() - t0) / 1000).toFixed(1)} s after the attacker trained; steps ${ss.map((s) => s.steps).join(', ')}`);
  for (const s of ss) expect(s.phase).toBe('training');
});
