import { afterEach, describe, expect, it } from 'vitest';
import { ServerSession, type SessionHandlers } from './server-session';
import { fakeSignaling, type FakeSignaling } from './signaling.fixture';

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
  let server: FakeSignaling | null = null;
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
    expect(server.hellos).toHaveLength(1);
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
