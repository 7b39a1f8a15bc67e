import { expect, test } from '@playwright/test';
import type { PeersPayload, RunConfigInput } from '@starling/protocol';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { startHeadless, type HeadlessPeer } from './support/headless';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from './support/swarm';

/**
 * Headless Node peers (apps/cli/src/peer.ts: the browser's peer runtime with @roamhq/wrtc and
 * TF.js wasm) join a run next to a real Chromium tab and train with it over real WebRTC.
 */
const RUN: RunConfigInput = { ...RFAST_MNIST_RUN, runId: 'e2e-headless' };
const TARGET = 0.9;

const env = useSpecEnvironment();
let server: TestServer | null = null;
let tabs: Volunteer[] = [];
let nodes: HeadlessPeer[] = [];

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus) {
    if (server) console.error(`server log:\n${server.log().slice(-3000)}`);
    for (const n of nodes) console.error(`${n.label} log:\n${n.log().slice(-2000)}`);
  }
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
});

async function livePeers(url: string): Promise<PeersPayload['peers']> {
  const res = await fetch(`${url}/api/peers`);
  return ((await res.json()) as PeersPayload).peers.filter((p) => p.state === 'live');
}

test('two headless Node peers train with a browser tab over WebRTC, and leave cleanly', async () => {
  server = await startServer(RUN);
  const url = server.url;
  tabs.push(await joinVolunteer(env.browser, url, 'tab', '?backends=wasm'));
  nodes = [startHeadless(url, 'node0'), startHeadless(url, 'node1')];

  const t0 = Date.now();
  const joined = await waitFor('the tab and both Node peers training with open links', 120_000, async () => {
    const tab = await status(tabs[0]);
    const ns = nodes.map((n) => n.latest());
    const ready = tab.phase === 'training' && tab.neighboursOpen >= 2 && ns.every((s) => s !== null && s.phase === 'training' && s.steps > 0 && s.neighboursOpen >= 2);
    return ready ? ns : null;
  });
  console.log(`all three training ${((Date.now() - t0) / 1000).toFixed(1)} s after the Node peers started; node backends ${joined.map((s) => `${s!.backend}/${s!.kernels}`).join(', ')}`);

  const acc = await waitFor(`the tab's model >= ${TARGET * 100}% test accuracy`, 120_000, async () => {
    const a = await env.evaluator.accuracy(await modelOf(tabs[0]));
    return a >= TARGET ? a : null;
  }, 2000);
  const tab = await status(tabs[0]);
  const ns = nodes.map((n) => n.latest()!);
  console.log(
    `tab at ${(acc * 100).toFixed(2)}% after ${((Date.now() - t0) / 1000).toFixed(1)} s; tab steps ${tab.steps}, frames in ${tab.framesReceived}; ` +
      ns.map((s, i) => `node${i} steps ${s.steps} frames in ${s.framesReceived} loss ${s.loss}`).join('; '),
  );
  // With three members on the exponential graph every peer links to both others, so the tab's
  // incoming frames all come from the Node peers, and theirs partly from the tab.
  expect(tab.framesReceived).toBeGreaterThan(0);
  expect(tab.framesRejected).toBe(0);
  for (const s of ns) {
    expect(s.backend).toBe('wasm');
    expect(s.framesReceived).toBeGreaterThan(0);
    expect(s.framesRejected).toBe(0);
  }
  const peers = await livePeers(url);
  expect(peers).toHaveLength(3);
  expect(peers.every((p) => p.steps > 0)).toBe(true);

  // A Node peer stopped with SIGTERM leaves the run: exit code 0, and the server lists two peers.
  expect(await nodes[0].stop()).toBe(0);
  await waitFor('the server to list two live peers', 30_000, async () => ((await livePeers(url)).length === 2 ? true : null), 250);
});
