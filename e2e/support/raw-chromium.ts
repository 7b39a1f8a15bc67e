import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { chromiumPath } from './chromium';
import { stopChild } from './process';

/**
 * Chromium driven over the DevTools protocol directly, for what Playwright hides on purpose: it
 * keeps every page it drives visible and focused, so a tab it controls is never throttled as a
 * background tab. Here a tab is hidden the way a volunteer hides it: another tab opened in front of
 * it in the same window (new headless mode has real tabs; the old headless shell reports every
 * page visible). Launched without the flags that switch background throttling off.
 */
export interface RawTab {
  targetId: string;
  /** Evaluates an expression in the page and returns its value (promises are awaited). */
  evaluate<T>(expression: string): Promise<T>;
}

export interface RawChromium {
  /** Opens `url` in a new tab in front of the others (the tab before it becomes hidden). */
  openTab(url: string): Promise<RawTab>;
  /** Brings a tab to the front again. */
  activate(tab: RawTab): Promise<void>;
  closeTab(tab: RawTab): Promise<void>;
  close(): Promise<void>;
}

/** SIGKILL to whatever is left of the process group Chromium led (its helpers). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone, which is the usual case after Browser.close.
  }
}

interface CdpReply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export async function launchRawChromium(): Promise<RawChromium> {
  const dir = mkdtempSync(join(tmpdir(), 'starling-raw-chromium-'));
  const child: ChildProcess = spawn(chromiumPath(), [
    '--headless=new', '--no-sandbox', '--no-first-run', '--disable-sync', '--disable-component-update', '--disable-quic',
    '--remote-debugging-port=0', `--user-data-dir=${dir}`, 'about:blank',
  ], // Its own process group, so close() can make sure no helper process outlives it.
  { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools address within 30 s:\n${err.slice(-2000)}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) (clearTimeout(timer), resolve(m[1]));
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`Chromium exited (${code}) before it listened:\n${err.slice(-2000)}`))));
  });
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  let nextId = 1;
  const pending = new Map<number, (r: CdpReply) => void>();
  ws.on('message', (data) => {
    const r = JSON.parse(String(data)) as CdpReply;
    if (r.id !== undefined) pending.get(r.id)?.(r), pending.delete(r.id!);
  });
  const send = async (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    const id = nextId++;
    const reply = await new Promise<CdpReply>((resolve) => {
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
    if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
    return reply.result ?? {};
  };

  return {
    async openTab(url) {
      const { targetId } = (await send('Target.createTarget', { url, newWindow: false, background: false })) as { targetId: string };
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      return {
        targetId,
        async evaluate<T>(expression: string): Promise<T> {
          const r = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)) as {
            result: { value?: T };
            exceptionDetails?: { exception?: { description?: string }; text: string };
          };
          if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
          return r.result.value as T;
        },
      };
    },
    async activate(tab) {
      await send('Target.activateTarget', { targetId: tab.targetId });
    },
    async closeTab(tab) {
      await send('Target.closeTarget', { targetId: tab.targetId });
    },
    async close() {
      // Browser.close shuts Chromium down in order (helpers first, profile flushed); a signal to the
      // browser process alone left a helper writing the profile while it was being removed (CI
      // failed once on ENOTEMPTY there).
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      await Promise.race([send('Browser.close').catch(() => undefined), exited]);
      ws.close();
      await stopChild(child);
      killGroup(child);
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch (e) {
        // A leftover temp profile is not the test's failure; say so and go on.
        console.warn(`could not remove Chromium's profile ${dir}: ${(e as Error).message}`);
      }
    },
  };
}
