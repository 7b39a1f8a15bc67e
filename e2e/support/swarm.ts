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

/** A tab's raw parameters and the wall-clock time (ms since the epoch) the tab copied them. */
export interface StampedModel {
  model: Float32Array;
  at: number;
}

/**
 * The tab's raw parameters, stamped with the moment the tab copied them. They cross as base64 of
 * the float32 bytes: a JSON array of 50,000 numbers took 1-5 s to print and parse out of a tab
 * busy sending frames, and the bytes are exact.
 */
export async function stampedModelOf(v: Volunteer): Promise<StampedModel> {
  const r = await v.page.evaluate(() => {
    const m = window.starling?.model();
    if (!m) return null;
    const at = Date.now();
    const bytes = new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { at, b64: btoa(text) };
  });
  if (!r) throw new Error(`${v.label} has no model yet`);
  return { model: float32FromBase64(r.b64), at: r.at };
}

/** A model the page sent as base64, copied into a fresh buffer: Buffer's pool gives no 4-byte alignment. */
function float32FromBase64(b64: string): Float32Array {
  return new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);
}

/** The copies a tab keeps for the bench (recordModelCopies), on the page's window. */
interface CopyRecorder {
  __starlingCopies?: { at: number; model: Float32Array }[];
  __starlingCopyTimer?: ReturnType<typeof setInterval>;
}

/**
 * Makes the tab copy its model every `everyMs` on its own timer, stamped when taken, until the
 * page closes. A copy asked for from here waits behind everything between this process and the
 * page (the driver's and the browser's IPC, busy with a sending tab's frames): read that way an
 * R-FAST tab's copies came 1.0-2.5 s apart against a solo tab's 0.6 s at the same interval, so
 * its times to a target were coarser than the others'. The page's own timer fires between its
 * steps; `takeModelCopies` collects what it kept.
 */
export async function recordModelCopies(v: Volunteer, everyMs: number): Promise<void> {
  await v.page.evaluate((ms) => {
    const w = window as unknown as CopyRecorder;
    clearInterval(w.__starlingCopyTimer);
    w.__starlingCopies = [];
    w.__starlingCopyTimer = setInterval(() => {
      const m = window.starling?.model();
      if (m) w.__starlingCopies!.push({ at: Date.now(), model: m.slice() });
    }, ms);
  }, everyMs);
}

/** The copies the tab kept since the last call (recordModelCopies), oldest first; `stop` ends the copying. */
export async function takeModelCopies(v: Volunteer, stop = false): Promise<StampedModel[]> {
  const taken = await v.page.evaluate((end) => {
    const w = window as unknown as CopyRecorder;
    if (end) clearInterval(w.__starlingCopyTimer);
    const copies = w.__starlingCopies ?? [];
    w.__starlingCopies = [];
    return copies.map(({ at, model }) => {
      const bytes = new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { at, b64: btoa(text) };
    });
  }, stop);
  return taken.map(({ at, b64 }) => ({ at, model: float32FromBase64(b64) }));
}

/** The tab's raw parameters. */
export async function modelOf(v: Volunteer): Promise<Float32Array> {
  return (await stampedModelOf(v)).model;
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
