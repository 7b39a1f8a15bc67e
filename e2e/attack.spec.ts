import { expect, test } from '@playwright/test';
import type { PeersPayload, RunConfigInput } from '@starling/protocol';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { startHeadless, type HeadlessPeer } from './support/headless';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from './support/swarm';

/**
 * One hostile volunteer among real tabs (issue 13): a headless Node peer run with `--attack scale`
 * sends R-FAST frames whose models and running sums are scaled by 1e6 over real WebRTC. The tabs'
 * robust mixing must refuse or clip them without a crash or a non-finite model, their telemetry must
 * say so, and the server must flag the attacker on the dashboard.
 */
const RUN: RunConfigInput = { ...RFAST_MNIST_RUN, runId: 'e2e-attack' };

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

test('a hostile peer scaling its frames by 1e6 is refused by the tabs and flagged on the dashboard', async () => {
  server = await startServer(RUN);
  const url = server.url;
  for (let i = 0; i < 3; i++) tabs.push(await joinVolunteer(env.browser, url, `tab${i}`, '?backends=wasm'));
  attacker = startHeadless(url, 'attacker', ['--attack', 'scale']);

  const bad = await waitFor('the attacker training next to the tabs', 120_000, async () => {
    const s = attacker!.latest();
    return s !== null && s.phase === 'training' && s.steps > 0 && s.peerId !== null ? s.peerId : null;
  });

  const t0 = Date.now();
  const flag = await waitFor(`peer ${bad} flagged for hostile frames`, 120_000, async () => {
    const res = await fetch(`${url}/api/peers`);
    const p = ((await res.json()) as PeersPayload).peers.find((x) => x.id === bad);
    return p?.flags?.find((f) => f.code === 'hostile-frames') ?? null;
  });
  console.log(`attacker ${bad} flagged ${((Date.now() - t0) / 1000).toFixed(1)} s after it trained: ${flag.message}`);

  const dashboard = await (await env.browser.newContext()).newPage();
  try {
    await dashboard.goto(`${url}/dashboard`);
    // Its own model blows up and its snapshots are refused too: it may carry other flags beside this one.
    await expect(dashboard.locator(`[data-testid="peer-warning"][data-peer="${bad}"]`).filter({ hasText: /refused \d+ of its \d+ frames/ })).toHaveCount(1, { timeout: 30_000 });
    await expect(dashboard.locator('[data-testid="peer-row"][data-flags~="hostile-frames"]')).toHaveCount(1);
  } finally {
    await dashboard.context().close();
  }

  // The tabs are still training, refused its frames, and hold finite models that learned something.
  const ss = await Promise.all(tabs.map(status));
  const acc = await Promise.all(tabs.map(async (v) => env.evaluator.accuracy(await modelOf(v))));
  console.log(ss.map((s, i) => `tab${i}: steps ${s.steps}, frames in ${s.framesReceived}, rejected ${s.framesRejected}, accuracy ${acc[i].toFixed(3)}`).join('; '));
  for (const s of ss) {
    expect(s.phase).toBe('training');
    expect(s.error).toBeNull();
  }
  expect(ss.reduce((n, s) => n + s.framesRejected, 0)).toBeGreaterThan(0);
  for (const a of acc) expect(Number.isFinite(a)).toBe(true);
});
