import { Agent, request } from 'node:http';
import { pathTo, SNAPSHOT_HEADERS, type WelcomePayload } from '@starling/protocol';
import { layoutOf } from '@starling/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbuseProbe, errorCode, RawConnection } from './abuse-support';
import type { RunningServer } from './server';
import { joinPeer, startTestServer, TEST_ADMIN_TOKEN, type Client } from './test-support';

/**
 * Hostile HTTP clients, on loopback, each case bounded in bytes and time. After every case the
 * server must be alive, must have answered with a clear JSON error (or closed a connection it
 * could not answer), must have counted the refusal, and its heap must stay bounded.
 */

const HIDDEN = [8];
const DIM = layoutOf({ kind: 'mlp', hidden: HIDDEN }).dim;
const TUNING = {
  requestTimeoutMs: 800,
  headersTimeoutMs: 400,
  timeoutCheckMs: 100,
  maxDiscardBytes: 256 * 1024,
  // A bucket the flood case can empty quickly; every other case runs well inside it.
  httpRequestsPerAddress: { burst: 600, perSecond: 50 },
};

let server: RunningServer;
let peer: { socket: Client; welcome: WelcomePayload };
const probe = new AbuseProbe(() => server);

beforeAll(async () => {
  server = await startTestServer({ task: 'mnist-mlp', taskOptions: { hidden: HIDDEN }, snapshotIntervalMs: 1000, peerTimeoutMs: 600_000 }, { tuning: TUNING });
  peer = await joinPeer(server.url);
  probe.start();
});
afterAll(async () => {
  probe.stop();
  peer?.socket.disconnect();
  await server?.close();
});

const counter = async (name: string): Promise<number> => (await probe.health()).counters[name] ?? Number.NaN;
const admin = `Authorization: Bearer ${TEST_ADMIN_TOKEN}\r\n`;
const uploadHeaders = () =>
  `${SNAPSHOT_HEADERS.peer}: ${peer.welcome.peerId}\r\n${SNAPSHOT_HEADERS.token}: ${peer.welcome.uploadToken}\r\n${SNAPSHOT_HEADERS.steps}: 1\r\n`;
const chunk = (data: Buffer | string) => `${Buffer.byteLength(data).toString(16)}\r\n${data.toString()}\r\n`;

/** Sends `head`, then writes chunks from `next()` until the server answers and closes, or `maxBytes`. */
async function chunkedUntilClosed(head: string, maxBytes: number): Promise<RawConnection> {
  const c = new RawConnection(server.port);
  await c.write(head);
  const piece = 'a'.repeat(32 * 1024);
  for (let sent = 0; sent < maxBytes && !c.closed; sent += piece.length) await c.write(chunk(piece));
  await c.until(() => c.hasResponse(), 3000);
  return c;
}

describe('oversized bodies', () => {
  it('answers 413 to a chunked JSON body over the limit, and lives (the old crash: req.socket was null)', async () => {
    const before = await counter('httpErrorsByCode.payload-too-large');
    const c = await chunkedUntilClosed(`POST /api/run/state HTTP/1.1\r\nHost: x\r\n${admin}Transfer-Encoding: chunked\r\n\r\n`, 2 * 1024 * 1024);
    const r = c.reply();
    expect(r.status).toBe(413);
    expect(errorCode(r.body)).toBe('payload-too-large');
    c.destroy();
    expect(await counter('httpErrorsByCode.payload-too-large')).toBe(before + 1);
    await probe.check('chunked JSON over the limit');
  });

  it('answers 413 to a chunked snapshot longer than the model, then cuts the stream off', async () => {
    const before = await probe.health();
    const c = await chunkedUntilClosed(`POST ${pathTo('snapshots', { runId: peer.welcome.runId })} HTTP/1.1\r\nHost: x\r\n${uploadHeaders()}Transfer-Encoding: chunked\r\n\r\n`, 8 * 1024 * 1024);
    expect(c.reply().status).toBe(413);
    await c.until(() => c.closed, 3000);
    // One status line only: the discard does not answer twice.
    expect(c.reply().raw.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    const after = await probe.check('chunked snapshot longer than the model');
    expect(after.counters['httpErrorsByCode.payload-too-large']).toBe(before.counters['httpErrorsByCode.payload-too-large'] + 1);
    expect(after.counters.snapshotsRefused).toBe(before.counters.snapshotsRefused + 1);
    expect(after.counters.bodiesCut).toBe(before.counters.bodiesCut + 1);
  });

  it('refuses a declared length above the limit before reading any body', async () => {
    const c = new RawConnection(server.port);
    await c.write(`POST /api/runs HTTP/1.1\r\nHost: x\r\n${admin}Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{"config":`);
    await c.until(() => c.hasResponse(), 3000);
    expect(c.reply().status).toBe(413);
    c.destroy();
    await probe.check('declared length of 1 TB');
  });
});

describe('stalled and abandoned requests', () => {
  it.each([
    ['a body that stops (Content-Length)', `POST /api/run/state HTTP/1.1\r\nHost: x\r\n${admin}Content-Length: 100\r\n\r\n{"pa`],
    ['a chunked body that stops', `POST /api/run/state HTTP/1.1\r\nHost: x\r\n${admin}Transfer-Encoding: chunked\r\n\r\n4\r\n{"pa\r\n`],
    ['headers that stop', `GET /api/run HTTP/1.1\r\nHost: x\r\nX-Slow: aaaa`],
    ['a connection that never says anything', ''],
  ])('answers 408 and closes: %s', async (what, text) => {
    const before = await counter('httpErrorsByCode.request-timeout');
    const c = new RawConnection(server.port);
    if (text !== '') await c.write(text);
    await c.until(() => c.closed, 3000);
    expect(c.reply().status).toBe(408);
    expect(errorCode(c.reply().body)).toBe('request-timeout');
    expect(await counter('httpErrorsByCode.request-timeout')).toBe(before + 1);
    await probe.check(what);
  });

  it('counts clients that hang up mid-upload, and gives their rate-limit slot back', async () => {
    const before = await counter('httpClientsGone');
    const c = new RawConnection(server.port);
    await c.write(`POST ${pathTo('snapshots', { runId: peer.welcome.runId })} HTTP/1.1\r\nHost: x\r\n${uploadHeaders()}Content-Length: ${DIM * 4}\r\n\r\n`);
    await c.write(Buffer.alloc(DIM * 2));
    await new Promise((r) => setTimeout(r, 50));
    c.destroy();
    await probe.until(async () => (await counter('httpClientsGone')) === before + 1);
    await probe.check('upload abandoned half way');
    // The abandoned upload did not use up the peer's slot: a whole one is accepted at once.
    const ok = await fetch(`${server.url}${pathTo('snapshots', { runId: peer.welcome.runId })}`, {
      method: 'POST',
      headers: { [SNAPSHOT_HEADERS.peer]: String(peer.welcome.peerId), [SNAPSHOT_HEADERS.token]: peer.welcome.uploadToken, [SNAPSHOT_HEADERS.steps]: '2' },
      body: new Uint8Array(DIM * 4),
    });
    expect(ok.status).toBe(202);
  });
});

describe('malformed requests', () => {
  it.each([
    ['a garbage request line', 'HELLO WORLD\r\n\r\n', 400, 'bad-request'],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400, 'bad-request'],
    ['headers over 16 KiB', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'headers-too-large'],
    ['a bad chunk size', `POST /api/run/state HTTP/1.1\r\nHost: x\r\n${admin}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 400, 'bad-request'],
    ['both Content-Length and chunked', `POST /api/run/state HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'bad-request'],
  ])('answers %s with a counted JSON error', async (what, text, status, code) => {
    const before = await counter(`httpErrorsByCode.${code}`);
    const c = new RawConnection(server.port);
    await c.write(text);
    await c.until(() => c.hasResponse() || c.closed, 3000);
    expect(c.reply().status, what).toBe(status);
    expect(errorCode(c.reply().body), what).toBe(code);
    c.destroy();
    expect(await counter(`httpErrorsByCode.${code}`)).toBe(before + 1);
    await probe.check(what);
  });

  it('refuses JSON nested 8,000 deep and odd JSON values without trouble', async () => {
    const bodies = ['['.repeat(8000) + ']'.repeat(8000), '{"paused":' + '{"a":'.repeat(2000) + '1' + '}'.repeat(2001), '"x"', 'null', '1e999', '{"__proto__":{"paused":true}}'];
    for (const body of bodies) {
      for (const path of ['/api/run/state', '/api/runs']) {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
        expect([400, 413], `${path} ${body.slice(0, 20)}`).toContain(res.status);
        expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/bad-request|payload-too-large/);
      }
    }
    expect(server.run.state.paused).toBe(false);
    await probe.check('deep nesting');
  });
});

/** A request from a chosen loopback address (127.0.0.0/8 is all ours), over `agent`. */
function send(o: { method: string; path: string; headers?: Record<string, string>; body?: string; localAddress?: string; agent?: Agent }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: o.method, path: o.path, headers: o.headers, localAddress: o.localAddress, agent: o.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('every route, with and without the admin token', () => {
  it('answers each method on each route with a success or a clear, counted error', async () => {
    const runId = encodeURIComponent(peer.welcome.runId);
    const paths = [
      '/api/run', '/api/run/state', '/api/peers', '/api/runs', '/api/health', `/api/runs/${runId}/metrics?maxPoints=-5`,
      `/api/runs/${runId}/peer-losses`, `/api/runs/${runId}/evaluations`, `/api/runs/${runId}/checkpoint`, `/api/runs/${runId}/snapshots`,
      `/api/runs/${runId}/model/model.json`, `/api/runs/${runId}/model/weights.bin`, '/api/runs/%ZZ/metrics', '/api/runs/nope/evaluations',
      `/api/runs/${runId}/samples`, '/api/tasks', '/data/tasks/custom-1/initial', '/data/tasks/%2e%2e/initial',
      '/data/mnist/train/shard/0', '/data/mnist/train/shard/99', '/data/mnist/test?x=1', '/tfjs-wasm/../x.wasm', '/api/nope', '/', '/%00',
    ];
    const auths = [{}, { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, { Authorization: 'Bearer wrong-token-0123456789' }, { Authorization: 'Basic xyz' }];
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const before = await probe.health();
    let refused = 0;
    try {
      for (const path of paths) {
        for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS']) {
          for (const auth of auths) {
            const body = method === 'POST' || method === 'PUT' ? '{"paused":true}' : undefined;
            // From its own address, so the matrix does not eat the other cases' request budget.
            const r = await send({ method, path, headers: { ...auth, 'Content-Type': 'application/json' } as Record<string, string>, body, agent, localAddress: '127.0.0.11' });
            const what = `${method} ${path} ${JSON.stringify(auth)}`;
            expect(r.status === 200 || r.status === 201 || r.status === 202 || (r.status >= 400 && r.status < 500) || r.status === 503, what).toBe(true);
            if (r.status >= 400) {
              refused++;
              if (method !== 'HEAD') expect(errorCode(r.body), what).toEqual(expect.any(String));
            }
          }
        }
      }
    } finally {
      agent.destroy();
    }
    const after = await probe.check('route matrix');
    expect(after.counters.httpErrors - before.counters.httpErrors).toBe(refused);
    // Only the admin could change the run: POST /api/run/state with the token paused it; nothing else did.
    expect(server.run.state.paused).toBe(true);
    expect(after.counters['httpErrorsByCode.internal']).toBe(0);
  });
});

describe('floods', () => {
  it('answers a flood of requests from one address with 429 while others are served', async () => {
    const before = await counter('httpErrorsByCode.rate-limited');
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const flood = Array.from({ length: 900 }, () => send({ method: 'GET', path: '/api/run', localAddress: '127.0.0.9', agent }));
    // Meanwhile a client from another address is not limited.
    const other = await send({ method: 'GET', path: '/api/peers' });
    const results = await Promise.all(flood);
    agent.destroy();
    expect(other.status).toBe(200);
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(100);
    expect(errorCode(limited[0].body)).toBe('rate-limited');
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(TUNING.httpRequestsPerAddress.burst);
    expect(await counter('httpErrorsByCode.rate-limited')).toBe(before + limited.length);
    await probe.check('request flood');
  });

  it('closes connections beyond the per-address cap at once', async () => {
    const before = await counter('connectionsRefused');
    const conns = Array.from({ length: server.tuning.maxConnectionsPerAddress + 20 }, () => new RawConnection(server.port, '127.0.0.10'));
    await probe.until(async () => (await counter('connectionsRefused')) >= before + 20);
    for (const c of conns) c.destroy();
    await probe.check('connection flood');
  });
});
