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

describe('ServerSession', () => {
  let server: Awaited<ReturnType<typeof fakeSignaling>> | null = null;
  let session: ServerSession | null = null;
  afterEach(async () => {
    session?.close();
    session = null;
    server?.io.close();
    server = null;
  });

  it('says hello exactly once as soon as it connects (the backend check runs beside it), and settles with the welcome', async () => {
    server = await fakeSignaling();
    session = new ServerSession({ serverUrl: server.url, hello: () => ({ role: 'peer', backend: 'checking' }), welcomeTimeoutMs: 5_000, reconnectDelayMs: 50, handlers });
    await session.ready;
    expect(server.connections()).toBe(1);
    expect(server.hellos()).toBe(1);
  });

  it('fails with its reason when no welcome comes within the timeout', async () => {
    server = await fakeSignaling();
    server.io.removeAllListeners('connection'); // a server that never welcomes
    session = new ServerSession({ serverUrl: server.url, hello: () => ({ role: 'peer', backend: 'wasm' }), welcomeTimeoutMs: 100, reconnectDelayMs: 50, handlers });
    await expect(session.ready).rejects.toThrow(/no answer from .* within 100 ms/);
  });

  it('closed before its welcome, it settles quietly: no timeout is reported after a stop', async () => {
    server = await fakeSignaling();
    server.io.removeAllListeners('connection');
    session = new ServerSession({ serverUrl: server.url, hello: () => ({ role: 'peer', backend: 'wasm' }), welcomeTimeoutMs: 100, reconnectDelayMs: 50, handlers });
    session.close();
    await expect(session.ready).resolves.toBeUndefined();
  });
});
