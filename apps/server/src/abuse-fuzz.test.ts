import fc from 'fast-check';
import { CLIENT_EVENTS, type RejectedPayload } from '@starling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbuseProbe, errorCode } from './abuse-support';
import type { RunningServer } from './server';
import { emitRaw, nextEvent, openClient, startTestServer, TEST_ADMIN_TOKEN, type Client } from './test-support';

/**
 * Random hostile input, generated (fast-check, fixed seeds, bounded counts): socket events with
 * arbitrary names and JSON payloads from peers and strangers, and HTTP requests with arbitrary
 * methods, paths, headers and bodies. Whatever arrives, the server answers each one, counts every
 * refusal, raises no internal error and stays up. The hand-written cases are in abuse-http and
 * abuse-socket; this finds the ones nobody thought of. `FUZZ_SEED=n FUZZ_RUNS=m` explores further
 * (seeds 1-3 x 1,500 runs each found nothing when this was written).
 */

let server: RunningServer;
const probe = new AbuseProbe(() => server);

beforeAll(async () => {
  // Generous event budgets: this suite is about payloads; the limits have their own tests.
  const unlimited = { burst: 1e6, perSecond: 1e6 };
  server = await startTestServer(
    { peerTimeoutMs: 600_000 },
    { tuning: { eventsPerConnection: unlimited, signalsPerConnection: unlimited, httpRequestsPerAddress: unlimited } },
  );
  probe.start();
});
afterAll(async () => {
  probe.stop();
  await server?.close();
});

/** Names socket.io's client refuses to emit (it throws before anything is sent). */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
const eventName = fc.oneof(fc.constantFrom(...CLIENT_EVENTS), fc.string({ maxLength: 80 }).filter((s) => !RESERVED.has(s)));
const payload = fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.record({ role: fc.constantFrom('peer', 'observer', 'x'), backend: fc.string() }), fc.constant(undefined));

describe('fuzzed socket events', () => {
  it('answers or drops every random event, counts each refusal, and never fails inside', async () => {
    const peer = await openClient(server.url);
    const welcome = nextEvent(peer, 'welcome');
    peer.emit('hello', { role: 'peer', backend: 'wasm' });
    await welcome;
    const stranger = await openClient(server.url);
    const clients: Client[] = [peer, stranger];
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 1 }), eventName, payload, async (who, event, body) => {
          const c = clients[who];
          if (!c.connected) return;
          const before = server.run.counters.rejected + server.run.counters.telemetryReports + server.run.counters.signalsRelayed;
          // A valid hello or leave changes membership silently; everything else is counted.
          const silent = event === 'leave' || event === 'hello';
          const reply = silent ? undefined : nextEvent<RejectedPayload>(c, 'rejected', undefined, 2000).catch(() => null);
          emitRaw(c, event, body);
          if (reply !== undefined) {
            const r = await reply;
            const after = server.run.counters.rejected + server.run.counters.telemetryReports + server.run.counters.signalsRelayed;
            expect(r !== null || after > before, `${event} ${JSON.stringify(body)?.slice(0, 200)}`).toBe(true);
          }
          expect(server.run.counters.internalErrors).toBe(0);
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: Number(process.env.FUZZ_SEED ?? 13) },
      );
    } finally {
      for (const c of clients) c.disconnect();
    }
    await probe.check('fuzzed socket events');
  });
});

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const segment = fc.oneof(
  fc.constantFrom('api', 'run', 'runs', 'state', 'peers', 'health', 'tasks', 'data', 'mnist', 'train', 'shard', 'test', 'snapshots', 'checkpoint', 'model', 'model.json', 'weights.bin', '..', '%2e%2e', '%00', '%ZZ', 'tfjs-wasm', 'x.wasm'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const path = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined })).map(
  ([segs, q]) => `/${segs.join('/')}${q === undefined ? '' : `?${encodeURIComponent(q).replace(/%3D/g, '=').replace(/%26/g, '&')}`}`,
);
const headers = fc.record(
  {
    authorization: fc.oneof(fc.constant(`Bearer ${TEST_ADMIN_TOKEN}`), fc.constant('Bearer nope-nope-nope-nope'), fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))),
    'content-type': fc.constantFrom('application/json', 'multipart/form-data; boundary=x', 'text/plain', 'application/octet-stream'),
    'x-starling-peer': fc.oneof(fc.constant('0'), fc.string({ maxLength: 10 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 2000 }), fc.constant(''));

describe('fuzzed HTTP requests', () => {
  it('answers every random request with a success or a clear JSON error, and never fails inside', async () => {
    let refused = 0;
    const before = (await probe.health()).counters.httpErrors;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), path, headers, body, async (method, p, h, b) => {
        const withBody = method !== 'GET' && method !== 'HEAD';
        const res = await fetch(`${server.url}${p}`, { method, headers: h, body: withBody ? b : undefined });
        const text = await res.text();
        const what = `${method} ${p}`;
        expect([200, 201, 202, 400, 401, 403, 404, 405, 409, 413, 429, 503], what).toContain(res.status);
        if (res.status >= 400) {
          refused++;
          if (method !== 'HEAD') expect(errorCode(text), what).toEqual(expect.any(String));
        }
        expect(server.run.counters.internalErrors).toBe(0);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: Number(process.env.FUZZ_SEED ?? 13) },
    );
    const after = await probe.check('fuzzed HTTP requests');
    expect(after.counters.httpErrors - before).toBe(refused);
  });
});
