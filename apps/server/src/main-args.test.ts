import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What the server process answers before it loads the server: --help, a bad flag and a busy port
 * are handled by main.ts from the arguments alone (the server's modules are imported after them),
 * and each ends the process with a message and the right exit code.
 */

function runMain(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

let busy: Server;
let busyPort: number;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => busy.close(() => r())));

describe('main.ts before the server loads', () => {
  it('prints the usage for --help and exits 0', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: /);
    expect(r.out).toContain('--port N');
    expect(r.out).not.toContain('loading the server');
  }, 30_000);

  it('names a bad flag value and exits 2', async () => {
    const r = await runMain(['--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--port must be an integer 0-65535, got 'eighty'");
    expect(r.out).not.toContain('loading the server');
  }, 30_000);

  it('says the port is in use, before loading the server, and exits 2', async () => {
    const r = await runMain(['--port', String(busyPort), '--data-dir', '/nonexistent/starling-never-created']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`127.0.0.1:${busyPort} is already in use; stop the other server or pick another --port`);
    expect(r.out).not.toContain('loading the server');
  }, 30_000);
});
