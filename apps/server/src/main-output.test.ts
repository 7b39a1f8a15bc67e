import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthResponse, WelcomePayload } from '@starling/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { nextEvent, openClient, TEST_ADMIN_TOKEN } from './test-support';

/**
 * A server whose stdout and stderr readers are gone (its terminal closed, its parent died) keeps
 * serving, and its next log line is not an uncaught error. Before, the EPIPE of that line became an
 * uncaught exception whose own log line failed again: an orphaned e2e server spun at 100% CPU.
 */
let dir: string;
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('the server process without its output', () => {
  it('keeps serving when its stdout and stderr close, and counts no uncaught error', async () => {
    dir = await mkdtemp(join(tmpdir(), 'starling-out-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', '--port', '0', '--data-dir', join(dir, 'data'), '--web-dist', dir, '--admin-token', TEST_ADMIN_TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m !== null) resolve(m[1]);
      });
      child!.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
    });
    child.stdout!.destroy();
    child.stderr!.destroy();
    // A peer joins and leaves: the server logs the departure into the closed pipe.
    const peer = await openClient(url);
    const welcome = nextEvent<WelcomePayload>(peer, 'welcome');
    peer.emit('hello', { role: 'peer', backend: 'wasm' });
    await welcome;
    peer.emit('leave', {});
    const health = async () => (await (await fetch(`${url}/api/health`)).json()) as HealthResponse;
    for (let tries = 0; (await health()).counters.leaves !== 1; tries++) {
      if (tries > 100) throw new Error('the departure was not handled');
      await new Promise((r) => setTimeout(r, 100));
    }
    peer.disconnect();
    // The departure's log line has been written into the closed pipe by now.
    const h = await health();
    expect(h.counters.uncaughtErrors).toBe(0);
    expect(child.exitCode).toBeNull();
  }, 60_000);
});
