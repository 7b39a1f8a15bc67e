import { expect, test } from '@playwright/test';
import type { PeerStatus } from '@starling/peer';
import type { RunConfigInput } from '@starling/protocol';
import { RFAST_MNIST_RUN } from './support/environment';
import { launchRawChromium, type RawChromium, type RawTab } from './support/raw-chromium';
import { startServer, type TestServer } from './support/server';
import { waitFor } from './support/swarm';

/**
 * A volunteer who switches to another tab (issue 11): the contribute page's training runs in a
 * dedicated worker, which the browser does not throttle, so a hidden tab keeps training. Real
 * Chromium in new headless mode, driven over the DevTools protocol (Playwright keeps the pages it
 * drives visible), with background throttling left on; the tab is hidden the way a person hides
 * it, by opening another tab in front. The same is then done with `?compute=page` (TF.js on the
 * page's own thread) for comparison. Steps/s in front and behind are printed for the README.
 *
 * WebGL (SwiftShader here) by default: TF.js reads WebGL results back by polling with timers, so on
 * the page a hidden tab drops to about one step a second, which shows the throttling is real and
 * that the worker is what avoids it. STARLING_BACKGROUND_BACKENDS=wasm measures wasm instead (its
 * step loop uses no timers, so it is not slowed on the page either; the README has both).
 */
const RUN: RunConfigInput = { ...RFAST_MNIST_RUN, runId: 'e2e-background' };
const BACKENDS = process.env.STARLING_BACKGROUND_BACKENDS ?? 'webgl';
/** Seconds each speed is measured over. */
const WINDOW_S = 15;

let server: TestServer | null = null;
let chrome: RawChromium | null = null;

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus && server) console.error(`server log:\n${server.log().slice(-3000)}`);
  await chrome?.close();
  chrome = null;
  await server?.stop();
  server = null;
});

const status = (tab: RawTab) => tab.evaluate<PeerStatus>('window.starling.status()');
const visibility = (tab: RawTab) => tab.evaluate<string>('document.visibilityState');

/** Steps per second over WINDOW_S, from the tab's own step counter. */
async function stepRate(tab: RawTab): Promise<number> {
  const a = await status(tab);
  const t0 = Date.now();
  await waitFor(`${WINDOW_S} s of training`, (WINDOW_S + 30) * 1000, async () => (Date.now() - t0 >= WINDOW_S * 1000 ? true : null), 500);
  const b = await status(tab);
  expect(b.phase, JSON.stringify(b.error)).toBe('training');
  return (b.steps - a.steps) / ((Date.now() - t0) / 1000);
}

/** Opens the contribute page, starts it, measures it in front and then hidden behind a blank tab. */
async function frontAndBehind(query: string): Promise<{ front: number; behind: number; computeIn: string; notice: string }> {
  const tab = await chrome!.openTab(`${server!.url}/?backends=${BACKENDS}${query}`);
  await waitFor('the contribute page', 60_000, async () => (await tab.evaluate<boolean>(`!!document.querySelector('[data-testid=start]')`)) || null, 250);
  await tab.evaluate(`document.querySelector('[data-testid=start]').click()`);
  const started = await waitFor('the tab to train 20 steps', 120_000, async () => {
    const s = await status(tab);
    if (s.phase === 'error') throw new Error(JSON.stringify(s.error));
    return s.phase === 'training' && s.steps >= 20 ? s : null;
  }, 500);
  expect(await visibility(tab)).toBe('visible');
  const front = await stepRate(tab);

  const blank = await chrome!.openTab('about:blank');
  expect(await visibility(tab)).toBe('hidden');
  // The page's own probe sees the browser hold its timers back, and the page says so.
  const notice = await waitFor('the page to notice it is in the background', 30_000, async () => {
    const text = await tab.evaluate<string | null>(`document.querySelector('[data-testid=background]')?.textContent ?? null`);
    return text !== null && / late\./.test(text) ? text : null;
  }, 500);
  const behind = await stepRate(tab);
  await chrome!.closeTab(blank);
  await chrome!.closeTab(tab);
  return { front, behind, computeIn: started.computeIn, notice };
}

test('a tab hidden behind another keeps training: its TF.js runs in a worker the browser does not throttle', async () => {
  server = await startServer(RUN);
  chrome = await launchRawChromium();

  const worker = await frontAndBehind('');
  expect(worker.computeIn).toBe('worker');
  expect(worker.notice).toMatch(/^This tab is in the background: its timers fire .* late\. Training runs in a separate worker/);
  // Training goes on behind: at least half the steps it took in front (the README has the figures).
  expect(worker.behind).toBeGreaterThan(worker.front / 2);

  const page = await frontAndBehind('&compute=page');
  expect(page.computeIn).toBe('page');
  expect(page.notice).toMatch(/keep this tab in front/);
  if (BACKENDS === 'webgl') {
    // The premise: this browser really throttles a hidden page (else the worker check above proves nothing).
    expect(page.behind, 'a hidden page training WebGL on its own thread was not slowed: is background throttling off?').toBeLessThan(page.front / 2);
  }

  console.log(
    `steps/s in front -> hidden behind another tab (${BACKENDS}, one tab, ${WINDOW_S} s each): ` +
      `worker ${worker.front.toFixed(1)} -> ${worker.behind.toFixed(1)} (${Math.round((100 * worker.behind) / worker.front)}%), ` +
      `page ${page.front.toFixed(1)} -> ${page.behind.toFixed(1)} (${Math.round((100 * page.behind) / page.front)}%)`,
  );
});
