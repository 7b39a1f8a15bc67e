import { CLIENT_EVENTS, type RejectedPayload, type WelcomePayload } from '@starling/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AbuseProbe } from './abuse-support';
import type { RunningServer } from './server';
import { emitRaw, nextEvent, telemetryReport, TestSession, until, type Client } from './test-support';

/**
 * Hostile socket.io clients, on loopback, each case bounded in count and time: malformed payloads
 * for every event, undecodable packets, floods, seat grabbing, join/leave churn and a peer that
 * stops reading. After every case the server is alive, said why it refused, counted it, and its
 * heap stayed bounded.
 */

const session = new TestSession();
let server: RunningServer;
let probe: AbuseProbe;
const opened: Client[] = [];

async function start(tuning = {}, options = {}): Promise<RunningServer> {
  server = await session.start({ peerTimeoutMs: 600_000 }, { tuning, options });
  probe = new AbuseProbe(() => server);
  probe.start();
  return server;
}

afterEach(async () => {
  probe?.stop();
  for (const c of opened.splice(0)) c.disconnect();
  await session.cleanup();
});

/** A connected client from `localAddress` (any 127.x.y.z is ours), with optional extra headers. */
async function client(localAddress = '127.0.0.1', extraHeaders?: Record<string, string>): Promise<Client> {
  const c: Client = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, localAddress, extraHeaders } as never);
  opened.push(c);
  await nextEvent(c, 'connect');
  return c;
}

async function peer(localAddress = '127.0.0.1', extraHeaders?: Record<string, string>): Promise<{ c: Client; w: WelcomePayload | RejectedPayload }> {
  const c = await client(localAddress, extraHeaders);
  const w = Promise.race([nextEvent<WelcomePayload>(c, 'welcome'), nextEvent<RejectedPayload>(c, 'rejected')]);
  c.emit('hello', { role: 'peer', backend: 'wasm' });
  return { c, w: await w };
}

const isWelcome = (w: WelcomePayload | RejectedPayload): w is WelcomePayload => 'peerId' in w;

describe('malformed payloads', () => {
  const deep = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };
  const payloads: [string, unknown[]][] = [
    ['no argument', []],
    ['undefined', [undefined]],
    ['null', [null]],
    ['a number', [-1]],
    ['a string', ['hello']],
    ['an array', [[1, 2, 3]]],
    ['an empty object', [{}]],
    ['two arguments', [{ bad: 1 }, { extra: true }]],
    ['a 200 KB string', ['x'.repeat(200_000)]],
    ['nesting 2,000 deep', [deep(2000)]],
    ['prototype keys', [JSON.parse('{"__proto__":{"role":"peer"},"constructor":{"prototype":{}}}')]],
    ['binary', [new Uint8Array(1000)]],
    ['wrong types', [{ role: 'peer', backend: 42, to: '1', data: [], steps: 'many', samples: -1, loss: 'NaN' }]],
    ['extra fields', [{ ...telemetryReport(), role: 'peer', backend: 'wasm', injected: 1 }]],
    ['a huge number', [{ ...telemetryReport({ steps: 1e300 }) }]],
  ];

  it.each(CLIENT_EVENTS)("refuses every malformed '%s' with a reason, before and after hello, and counts it", async (event) => {
    await start();
    for (const role of [undefined, 'peer', 'observer'] as const) {
      const c = await client();
      if (role !== undefined) {
        const joined = nextEvent(c, role === 'peer' ? 'welcome' : 'observing');
        c.emit('hello', { role, backend: role === 'peer' ? 'wasm' : 'none' });
        await joined;
      }
      for (const [what, args] of payloads) {
        // `leave {}` is a valid leave; every other payload here is invalid for every event.
        if (event === 'leave' && what === 'an empty object') continue;
        const before = server.run.counters.rejected;
        const reply = nextEvent<RejectedPayload>(c, 'rejected');
        emitRaw(c, event, ...args);
        const r = await reply;
        expect(r.event, `${event} ${what} as ${role}`).toBe(event);
        expect(r.message.length).toBeGreaterThan(0);
        expect(server.run.counters.rejected).toBe(before + 1);
      }
      c.disconnect();
    }
    expect(server.run.coordinator.members().length).toBeLessThanOrEqual(1);
    await probe.check(`malformed ${event}`);
  });

  it('refuses unknown and odd event names', async () => {
    await start();
    const c = await client();
    for (const name of ['nope', 'x'.repeat(10_000), '__proto__', 'constructor', 'toString', 'welcome', 'rejected']) {
      const reply = nextEvent<RejectedPayload>(c, 'rejected');
      emitRaw(c, name, {});
      const r = await reply;
      expect(r.code).toBe('unknown-event');
      expect(r.event.length).toBeLessThanOrEqual(server.tuning.maxEventNameChars);
    }
    await probe.check('unknown events');
  });
});

describe('undecodable packets', () => {
  it('closes a connection that sends packets socket.io cannot decode, counts it, and lives', async () => {
    await start();
    const frames = [
      '2', '2[', '2["hello"', '2{}', '2[null]', '2[1,2]', '3["x"]', '9', '5-["hello",{"_placeholder":true,"num":0}]',
      '51000000-["x"]', '2' + '['.repeat(100_000), '0/../../', '1', '2["hello",' + '{"a":'.repeat(50_000),
    ];
    let closed = 0;
    for (const frame of frames) {
      const c = await client();
      const gone = new Promise<void>((r) => c.once('disconnect', () => r()));
      // The engine sends it as one socket.io packet: '4' + frame on the wire.
      (c.io.engine as unknown as { send(m: string): void }).send(frame);
      // Either socket.io closes the connection, or the packet was harmless: the server must answer both ways.
      await Promise.race([gone.then(() => closed++), new Promise((r) => setTimeout(r, 300))]);
      c.disconnect();
      await probe.health();
    }
    const h = await probe.check('undecodable packets');
    expect(closed).toBeGreaterThan(5);
    expect(h.counters.socketErrors).toBeGreaterThan(0);
  });
});

describe('floods and seats', () => {
  it('absorbs 5,000 telemetry events in a burst: the excess is refused, counted, and the flooder cut off', async () => {
    await start();
    const { c } = await peer();
    const bystander = await peer('127.0.0.2');
    const cut = new Promise<void>((r) => c.once('disconnect', () => r()));
    for (let i = 0; i < 5000; i++) c.emit('telemetry', telemetryReport({ steps: 10 + i, samples: 320 + 32 * i }));
    await cut;
    const h = await probe.check('telemetry flood');
    expect(h.counters.telemetryReports).toBeLessThanOrEqual(server.tuning.eventsPerConnection.burst + 5);
    expect(h.counters['rejectedByCode.rate-limited']).toBeGreaterThanOrEqual(server.tuning.floodDisconnectAfter);
    expect(h.counters.floodDisconnects).toBe(1);
    // The bystander is still a live peer.
    expect(isWelcome(bystander.w) && server.run.coordinator.has(bystander.w.peerId)).toBe(true);
  });

  it('lets one address take at most maxPeersPerAddress seats; a volunteer from elsewhere still gets in', async () => {
    await start();
    const grabs = await Promise.all(Array.from({ length: 64 }, () => peer('127.0.0.3')));
    const seated = grabs.filter((g) => isWelcome(g.w)).length;
    expect(seated).toBe(server.tuning.maxPeersPerAddress);
    const refused = grabs.map((g) => g.w).filter((w): w is RejectedPayload => !isWelcome(w));
    expect(new Set(refused.map((r) => r.code))).toEqual(new Set(['address-full']));
    const volunteer = await peer('127.0.0.4');
    expect(isWelcome(volunteer.w)).toBe(true);
    // Seats come back when their peers leave.
    for (const g of grabs.filter((x) => isWelcome(x.w)).slice(0, 2)) g.c.disconnect();
    await until(() => server.run.coordinator.members().length === server.tuning.maxPeersPerAddress - 1, 'two departures');
    const h = await probe.check('seat grab');
    expect(h.counters['rejectedByCode.address-full']).toBe(64 - server.tuning.maxPeersPerAddress);
  });

  it('limits join/leave churn from one address, so a bystander hears a bounded number of epochs', async () => {
    await start();
    const bystander = await peer('127.0.0.5');
    let epochs = 0;
    bystander.c.on('epoch', () => epochs++);
    // 24 connections from one address, 20 join/leave cycles each: 480 joins asked for.
    const churners = await Promise.all(Array.from({ length: 24 }, () => client('127.0.0.6')));
    let welcomes = 0;
    for (const c of churners) c.on('welcome', () => welcomes++);
    const joinsBefore = server.run.counters.peersJoined;
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) {
      for (const c of churners) {
        c.emit('hello', { role: 'peer', backend: 'wasm' });
        c.emit('leave', {});
      }
    }
    // Each of the 960 events either joined, left, or was refused (and counted, quietly or not). A
    // join whose leave came in the same turn of the event loop is admitted and gone before its
    // welcome, so welcomes may be fewer than joins.
    const c = server.run.counters;
    await until(() => c.rejected + (c.peersJoined - joinsBefore) + c.leaves === 960, 'every event to be handled', 10_000);
    const seconds = (Date.now() - t0) / 1000;
    const joins = c.peersJoined - joinsBefore;
    const { burst, perSecond } = server.tuning.joinsPerAddress;
    expect(welcomes).toBeLessThanOrEqual(joins);
    expect(joins).toBeLessThanOrEqual(burst + Math.ceil(perSecond * seconds) + 1);
    // Each join and each leave is at most one epoch for the bystander (joins in one turn share one).
    expect(epochs).toBeLessThanOrEqual(2 * joins);
    expect(server.run.coordinator.has((bystander.w as WelcomePayload).peerId)).toBe(true);
    await probe.check('join/leave churn');
  });

  it('caps what it holds for a peer that stops reading: 600 x 60 KB signals, the reader is cut off', async () => {
    await start({ maxBufferedBytes: 1024 * 1024, signalsPerConnection: { burst: 5000, perSecond: 5000 }, floodDisconnectAfter: 10_000 });
    const reader = await peer('127.0.0.7');
    const sender = await peer('127.0.0.8');
    const readerId = (reader.w as WelcomePayload).peerId;
    // Stop reading: the server's writes to this socket pile up once the kernel buffers are full.
    (reader.c.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause();
    const gone = until(() => !server.run.coordinator.has(readerId), 'the reader to be cut off', 30_000);
    const sdp = 's'.repeat(60 * 1024 - 100);
    const SIGNALS = 600;
    let refusals = 0;
    sender.c.on('rejected', (r) => {
      if (r.code === 'unknown-peer') refusals++;
    });
    for (let i = 0; i < SIGNALS; i++) {
      sender.c.emit('signal', { to: readerId, data: { type: 'offer', sdp } });
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    await gone;
    await until(() => refusals + server.run.counters.signalsRelayed === SIGNALS, 'every signal to be handled', 30_000);
    // 36 MB went to a reader that did not read; what the server held for it was capped, then freed.
    const h = await probe.check('non-reading peer', 16 * 1024 * 1024);
    expect(h.counters.slowClientDisconnects).toBe(1);
    expect(server.run.counters.signalsRelayed).toBeLessThan(SIGNALS);
  });
});

describe('shutdown', () => {
  it('closes promptly while a client is not reading', async () => {
    await start({ shutdownGraceMs: 200 });
    const { c } = await peer();
    const stalled = await client('127.0.0.30');
    stalled.emit('hello', { role: 'observer', backend: 'none' });
    (stalled.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause();
    // Something queued for it that it will never read.
    for (let i = 0; i < 20; i++) c.emit('signal', { to: 999, data: { type: 'offer', sdp: 'x' } });
    server.host.broadcastPeers();
    probe.stop();
    const t0 = Date.now();
    await session.cleanup();
    // Bounded by the grace period, not by ws's 30 s close timeout.
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('client addresses', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    await start({ maxPeersPerAddress: 2 });
    // Not trusted: the spoofed header does not make three clients three addresses.
    const spoofed = await Promise.all(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => peer('127.0.0.20', { 'x-forwarded-for': a })));
    expect(spoofed.filter((p) => isWelcome(p.w))).toHaveLength(2);
    await probe.check('spoofed forwarded-for');
  });

  it('limits per forwarded address behind a trusted proxy', async () => {
    await start({ maxPeersPerAddress: 2 }, { trustProxy: ['127.0.0.21'] });
    const a = await Promise.all([1, 2, 3].map(() => peer('127.0.0.21', { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' })));
    expect(a.filter((p) => isWelcome(p.w))).toHaveLength(2);
    // Another client behind the same proxy is another address.
    expect(isWelcome((await peer('127.0.0.21', { 'x-forwarded-for': '203.0.113.10' })).w)).toBe(true);
    // A client that sends the header itself, not through the proxy, is its own TCP address.
    expect(isWelcome((await peer('127.0.0.22', { 'x-forwarded-for': '203.0.113.9' })).w)).toBe(true);
    await probe.check('trusted proxy');
  });
});

describe('implausible telemetry', () => {
  it('refuses absurd reports, flags the peer, and keeps the totals and swarm metrics sane', async () => {
    await start();
    const { c, w } = await peer();
    const id = (w as WelcomePayload).peerId;
    c.emit('telemetry', telemetryReport({ steps: 0, samples: 0 }));
    await until(() => server.run.counters.telemetryReports === 1, 'the first report');
    const absurd = [
      { steps: 2 ** 53 - 1, samples: 2 ** 53 - 1 },
      { loss: -1e308 },
      { loss: 1e308 },
      { stepsPerSec: 1e308 },
      { steps: 5, samples: 5 * 32 * 1000 },
      { bytesSent: 1e15 },
    ];
    for (const over of absurd) {
      const r = nextEvent<RejectedPayload>(c, 'rejected');
      c.emit('telemetry', telemetryReport({ steps: 0, samples: 0, ...over }));
      expect((await r).code).toBe('implausible-telemetry');
    }
    expect(server.run.counters.telemetryImplausible).toBe(absurd.length);
    expect(server.run.totalSamples()).toBe(0);
    const row = server.run.peers.summaries().find((p) => p.id === id)!;
    expect(row.steps).toBe(0);
    expect(row.flags).toMatchObject([{ code: 'implausible-telemetry', count: absurd.length }]);
    const point = server.recorder.tick();
    expect(point).toMatchObject({ samples: 0, stepsPerSec: 20 });
    expect(Number.isFinite(point!.meanLoss)).toBe(true);
    await probe.check('implausible telemetry');
  });

  it('counts a step of a run with inner steps (innerSteps) as that many minibatches, and no more', async () => {
    server = await session.start({ peerTimeoutMs: 600_000, innerSteps: 4 });
    probe = new AbuseProbe(() => server);
    probe.start();
    const { c } = await peer();
    c.emit('telemetry', telemetryReport({ steps: 0, samples: 0 }));
    c.emit('telemetry', telemetryReport({ steps: 10, samples: 10 * 32 * 4 }));
    await until(() => server.run.totalSamples() === 1280, 'the samples of 10 rounds of 4 inner steps');
    const r = nextEvent<RejectedPayload>(c, 'rejected');
    c.emit('telemetry', telemetryReport({ steps: 20, samples: 1280 + 10 * 32 * 6 }));
    expect((await r).code).toBe('implausible-telemetry');
    expect(server.run.totalSamples()).toBe(1280);
    await probe.check('inner steps');
  });
});

// The raw socket.io-client type, for engine access in the undecodable-packets case.
export type { Socket };
