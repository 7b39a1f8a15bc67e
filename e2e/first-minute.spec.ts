import { expect, test } from '@playwright/test';
import type { RunConfigInput } from '@starling/protocol';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, status, waitFor, type Volunteer } from './support/swarm';

/**
 * A volunteer's first minute, as a volunteer gets it: the page's default backend choice (no
 * `?backends=`), three tabs that start together. Each tab times the backends that work here on the
 * run's model and trains on the fastest; a software adapter is never called a GPU; and no tab waits
 * out the model hand-off timeout, since a fresh run tells every joiner it starts from x0.
 */
const RUN: RunConfigInput = { ...RFAST_MNIST_RUN, runId: 'e2e-first-minute' };

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

test('tabs on the default backend choice train on the fastest backend they measured, starting together from x0', async () => {
  server = await startServer(RUN);
  const url = server.url;
  tabs = await Promise.all([0, 1, 2].map((i) => joinVolunteer(env.browser, url, `tab${i}`)));

  const ready = await waitFor('every tab to train 20 steps', 180_000, async () => {
    const ss = await Promise.all(tabs.map(status));
    return ss.every((s) => s.phase === 'training' && s.steps >= 20) ? ss : null;
  });

  for (const [i, s] of ready.entries()) {
    const timed = s.backendAttempts.filter((a) => a.stepsPerSec !== undefined);
    // webgl (SwiftShader here) and wasm both work in this Chromium: both must have been timed.
    expect(timed.map((a) => a.name).sort(), `tab${i} attempts: ${JSON.stringify(s.backendAttempts)}`).toEqual(['wasm', 'webgl']);
    const fastest = timed.reduce((a, b) => (b.stepsPerSec! > a.stepsPerSec! ? b : a));
    expect(s.backend, `tab${i}`).toBe(fastest.name);
    expect(s.startedFrom, `tab${i}`).toMatch(/^(x0 \(first peer\)|x0 \(fresh run, like every peer\)|peer \d+)$/);
    const label = await tabs[i].page.getByTestId('backend').innerText();
    expect(label, `tab${i}`).toContain(`measured ${fastest.name} ${fastest.stepsPerSec!.toFixed(1)}`);
    if (s.backend === 'webgl' || s.backend === 'webgpu') {
      // No GPU on these machines: a GPU backend here runs on a software adapter, and says so.
      expect(s.softwareGpu, `tab${i} device ${s.device}`).toBe(true);
      expect(label).toMatch(/^CPU, emulating a GPU/);
    } else {
      expect(label).toMatch(/^CPU \(WebAssembly\)/);
    }
  }
  console.log(ready.map((s, i) => `tab${i}: ${s.backend} (${s.backendAttempts.map((a) => `${a.name} ${a.stepsPerSec?.toFixed(1) ?? a.ok}`).join(', ')}), started from ${s.startedFrom}`).join('\n'));
});
