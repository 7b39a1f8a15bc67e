import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerSession, type SessionHandlers } from './server-session';

/** A real socket.io server that records what each client said and welcomes every hello. */
async function fakeSignaling(): Promise<{ url: string; io: Server; http: HttpServer; connections: () => number; hellos: () => number }> {
  const http = createServer();
  const io = new Server(http);
  let connections = 0;
  let hellos = 0;
  io.on('connection', (socket) => {
    connections++;
    socket.on('hello', () => {
      hellos++;
      socket.emit('welcome', {} as never);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, io, http, connections: () => connections, hellos: () => hellos };
}

const handlers: SessionHandlers = {
  welcome: async () => {},
  epoch: () => {},
  grow: () => {},
  signal: () => {},
  runState: () => {},
  ice: () => {},
  disconnected: () => {},
  failed: () => {},
};

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`never saw ${what}`);
}

describe('ServerSession with a hello gate (the backend check)', () => {
  let server: Awaited<ReturnType<typeof fakeSignaling>> | null = null;
  let session: ServerSession | null = null;
  afterEach(async () => {
    session?.close();
    session = null;
    server?.io.close();
    server = null;
  });

  it('connects at once, says hello exactly once when the gate opens, and settles with the welcome', async () => {
    server = await fakeSignaling();
    const gate = deferred();
    session = new ServerSession({ serverUrl: server.url, hello: () => ({ role: 'peer', backend: 'wasm' }), helloAfter: gate.promise, welcomeTimeoutMs: 5_000, reconnectDelayMs: 50, handlers });
    await until('the socket connect', () => server!.connections() === 1);
    expect(server.hellos()).toBe(0);
    gate.resolve();
    await session.ready;
    expect(server.hellos()).toBe(1);
  });

  it('a gate that fails fails the session with its reason, and no hello is sent', async () => {
    server = await fakeSignaling();
    const gate = deferred();
    session = new ServerSession({ serverUrl: server.url, hello: () => ({ role: 'peer', backend: 'wasm' }), helloAfter: gate.promise, welcomeTimeoutMs: 5_000, reconnectDelayMs: 50, handlers });
    await until('the socket connect', () => server!.connections() === 1);
    gate.reject(new Error('no usable TF.js backend'));
    await expect(session.ready).rejects.toThrow('no usable TF.js backend');
    expect(server.hellos()).toBe(0);
  });

  it('the welcome timeout counts from the gate, not from the connect', async () => {
    server = await fakeSignaling();
    server.io.removeAllListeners('connection'); // a server that never welcomes
    const gate = deferred();
    let failedAt: number | null = null;
    const t0 = Date.now();
    session = new ServerSession({ serverUrl: server.url, hello: () => ({ role: 'peer', backend: 'wasm' }), helloAfter: gate.promise, welcomeTimeoutMs: 100, reconnectDelayMs: 50, handlers });
    session.ready.catch(() => (failedAt = Date.now()));
    await new Promise((r) => setTimeout(r, 300));
    expect(failedAt).toBeNull();
    const opened = Date.now();
    gate.resolve();
    await expect(session.ready).rejects.toThrow(/no answer from .* within 100 ms/);
    expect(failedAt! - opened).toBeGreaterThanOrEqual(90);
    expect(failedAt! - t0).toBeGreaterThanOrEqual(390);
  });
});
