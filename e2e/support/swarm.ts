import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { PeerStatus } from '@starling/peer';

/** One volunteer: its own browser context (own storage, own WebRTC stack) and page. */
export interface Volunteer {
  context: BrowserContext;
  page: Page;
  label: string;
}

/** Opens the contribute page in a fresh context and clicks the call to action. */
export async function joinVolunteer(browser: Browser, url: string, label: string, query = ''): Promise<Volunteer> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  await page.goto(`${url}/${query}`);
  await page.getByTestId('start').click();
  return { context, page, label };
}

export function status(v: Volunteer): Promise<PeerStatus> {
  return v.page.evaluate(() => {
    if (!window.starling) throw new Error('no peer runtime on the page');
    return window.starling.status();
  });
}

/** The tab's raw parameters (numbers survive the structured clone exactly as float32 values). */
export async function modelOf(v: Volunteer): Promise<Float32Array> {
  const arr = await v.page.evaluate(() => {
    const m = window.starling?.model();
    return m ? Array.from(m) : null;
  });
  if (!arr) throw new Error(`${v.label} has no model yet`);
  return Float32Array.from(arr);
}

/** Polls `check` until it returns a value, failing with the last state after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | null>, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Live peers in the server's run. A peer's own member count is not the run's size: a join reaches
 * only the peers whose lists it changes (PeerStatus.members).
 */
export async function livePeerCount(url: string): Promise<number> {
  const body = (await (await fetch(`${url}/api/peers`)).json()) as { peers: { state: string }[] };
  return body.peers.filter((p) => p.state === 'live').length;
}

/** Every tab in `phase` with all the links its placement wants (at least `minLinks`), and the server counting them all live. */
export async function waitForSwarm(url: string, tabs: readonly Volunteer[], phase: PeerStatus['phase'], minLinks: number, timeoutMs: number): Promise<void> {
  await waitFor(`${tabs.length} tabs ${phase} with their links open`, timeoutMs, async () => {
    const [ss, live] = await Promise.all([Promise.all(tabs.map(status)), livePeerCount(url)]);
    return live === tabs.length && ss.every((s) => s.phase === phase && s.neighboursOpen >= Math.max(minLinks, s.neighboursWanted)) ? true : null;
  }, 500);
}

export async function closeAll(vs: Volunteer[]): Promise<void> {
  await Promise.all(vs.map((v) => v.context.close().catch(() => {})));
}
