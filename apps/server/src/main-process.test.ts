import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthResponse, RejectedPayload, WelcomePayload } from '@starling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, RawConnection } from './abuse-support';
import { nextEvent, openClient, TEST_ADMIN_TOKEN, type Client } from './test-support';

/**
 * The real server process (main.ts), with a --tuning file: the overrides take effect end to end,
 * and the request that used to kill the process (a chunked body over the limit) is answered while
 * the process lives on.
 */

let dir: string;
let child: ChildProcess;
let url: string;
let port: number;
let out = '';
const clients: Client[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'starling-main-'));
  await writeFile(join(dir, 'tuning.json'), JSON.stringify({ maxPeersPerAddress: 1, maxBodyBytes: 1024 }));
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'apps/server/src/main.ts', '--port', '0', '--data-dir', join(dir, 'data'), '--web-dist', dir, '--admin-token', TEST_ADMIN_TOKEN, '--tuning', join(dir, 'tuning.json')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 50_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  port = Number(new URL(url).port);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

async function health(): Promise<HealthResponse> {
  return (await (await fetch(`${url}/api/health`)).json()) as HealthResponse;
}

describe('the server process', () => {
  it('applies a --tuning file: the limits in effect are the overrides', async () => {
    const h = await health();
    expect(h.limits.maxPeersPerAddress).toBe(1);
    const first = await openClient(url);
    const second = await openClient(url);
    clients.push(first, second);
    const welcome = nextEvent<WelcomePayload>(first, 'welcome');
    first.emit('hello', { role: 'peer', backend: 'wasm' });
    expect((await welcome).peerId).toEqual(expect.any(Number));
    const refused = nextEvent<RejectedPayload>(second, 'rejected');
    second.emit('hello', { role: 'peer', backend: 'wasm' });
    expect((await refused).code).toBe('address-full');
  });

  it('answers a chunked body over the limit with 413 and lives', async () => {
    const c = new RawConnection(port);
    await c.write(`POST /api/run/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const piece = 'a'.repeat(16 * 1024);
    for (let i = 0; i < 64 && !c.closed && !c.hasResponse(); i++) await c.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    await c.until(() => c.hasResponse(), 5000);
    expect(c.reply().status).toBe(413);
    expect(errorCode(c.reply().body)).toBe('payload-too-large');
    c.destroy();
    const h = await health();
    expect(child.exitCode).toBeNull();
    expect(h.counters['httpErrorsByCode.payload-too-large']).toBe(1);
    expect(h.counters.uncaughtErrors).toBe(0);
  });

  it('refuses a bad --tuning file at start-up with a message naming the key', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ maxPeersPerAddress: -1, noSuchKey: 1 }));
    const bad = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', '--port', '0', '--data-dir', join(dir, 'd2'), '--tuning', join(dir, 'bad.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => bad.once('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/bad\.json/);
    expect(err).toMatch(/maxPeersPerAddress|noSuchKey/);
  });
});
