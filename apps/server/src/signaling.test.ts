import { buildTopology, neighboursOf, type PeerId, type PeerNeighbours } from '@starling/core';
import {
  applyGrowth,
  applyMembersChange,
  type EpochPayload,
  type GrowPayload,
  type ObservingPayload,
  type PeersPayload,
  type RejectedPayload,
  type RunStatePayload,
  type SignalRelayPayload,
  type TelemetryPayload,
  type WelcomePayload,
} from '@starling/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERVER_TUNING } from './config';
import type { RunningServer } from './server';
import { adminHeaders, emitRaw, joinPeer, nextEvent, openClient, startTestServer, telemetryReport, type Client } from './test-support';

const offer = { type: 'offer', sdp: 'v=0\r\n' } as const;
const telemetry: TelemetryPayload = telemetryReport();

let server: RunningServer | undefined;
const clients: Client[] = [];

async function start(...args: Parameters<typeof startTestServer>): Promise<RunningServer> {
  server = await startTestServer(...args);
  return server;
}
async function peer(url: string) {
  const p = await joinPeer(url);
  clients.push(p.socket);
  trackMembers(p.socket, p.welcome);
  return p;
}
async function client(url: string): Promise<Client> {
  const c = await openClient(url);
  clients.push(c);
  return c;
}
/** Each client's member list, rebuilt from the epochs' changes as a peer rebuilds it. */
const heldMembers = new WeakMap<Client, () => PeerId[]>();
function trackMembers(socket: Client, welcome: WelcomePayload): void {
  let epoch = welcome.epoch;
  let grows = 0;
  let members = welcome.neighbours.members;
  socket.on('epoch', (e: EpochPayload) => {
    const r = applyMembersChange(members, epoch, e);
    expect(r.kind, `epoch ${e.epoch} after ${epoch}`).toBe('members');
    if (r.kind === 'members') [members, epoch, grows] = [r.members, e.epoch, 0];
  });
  socket.on('grow', (g: GrowPayload) => {
    const r = applyGrowth(members, epoch, grows, g);
    expect(r.kind, `grow ${g.seq} in epoch ${g.epoch} at ${epoch} after ${grows}`).toBe('members');
    if (r.kind === 'members') [members, grows] = [r.members, g.seq];
  });
  heldMembers.set(socket, () => members);
}
/** An epoch after which the client holds exactly `members`. */
const epochWith = (socket: Client, members: PeerId[]) => (_: EpochPayload) => JSON.stringify(heldMembers.get(socket)!()) === JSON.stringify(members);
/**
 * The next news after which the client holds exactly `members`: a new epoch, or a grow (R-FAST's
 * departures stay within the epoch and reach the leaver's neighbours only). Says which it was.
 */
function newsWith(socket: Client, members: PeerId[], timeoutMs = 5000): Promise<'epoch' | 'grow'> {
  const holds = () => JSON.stringify(heldMembers.get(socket)!()) === JSON.stringify(members);
  return new Promise((resolve, reject) => {
    const on = (kind: 'epoch' | 'grow') => () => {
      if (!holds()) return;
      stop();
      resolve(kind);
    };
    const onEpoch = on('epoch');
    const onGrow = on('grow');
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for news with members ${JSON.stringify(members)}`));
    }, timeoutMs);
    const stop = () => {
      clearTimeout(timer);
      socket.off('epoch', onEpoch);
      socket.off('grow', onGrow);
    };
    socket.on('epoch', onEpoch);
    socket.on('grow', onGrow);
  });
}
const listsOf = (n: PeerNeighbours): Omit<PeerNeighbours, 'members'> => {
  const { members: _, ...lists } = n;
  return lists;
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server?.close();
  server = undefined;
});

describe('membership over socket.io', () => {
  // Joins start a new epoch for algorithms that do not grow the topology (D-PSGD here); R-FAST's grow (below).
  it('welcomes two peers with different ids and the exponential graph over both', async () => {
    const s = await start({ algorithm: 'dpsgd', topology: { kind: 'exponential' }, shards: { count: 4 } });
    const a = await peer(s.url);
    const aEpoch = nextEvent<EpochPayload>(a.socket, 'epoch');
    const b = await peer(s.url);
    expect(a.welcome.peerId).not.toBe(b.welcome.peerId);
    expect(a.welcome.runId).toBe(s.run.runId);
    const ids = [a.welcome.peerId, b.welcome.peerId];
    const t = buildTopology('exponential', ids);
    expect(b.welcome.neighbours).toEqual(neighboursOf(t, b.welcome.peerId));
    expect(a.welcome.neighbours.members).toEqual([a.welcome.peerId]);
    const update = await aEpoch;
    expect(update.epoch).toBe(b.welcome.epoch);
    expect(update.neighbours).toEqual(listsOf(neighboursOf(t, a.welcome.peerId)));
    expect(update.change).toEqual({ base: a.welcome.epoch, added: [b.welcome.peerId], removed: [] });
    expect(a.welcome.shard.index).not.toBe(b.welcome.shard.index);
    expect(b.welcome.shard.url).toBe(`/data/train/shard/${b.welcome.shard.index}`);
    expect(b.welcome.config.shards.count).toBe(4);
  });

  it('a third join bumps the epoch and moves both earlier peers to it', async () => {
    const s = await start({ algorithm: 'dpsgd', topology: { kind: 'ring' } });
    const a = await peer(s.url);
    const b = await peer(s.url);
    const aNext = nextEvent(a.socket, 'epoch', epochWith(a.socket, [0, 1, 2]));
    const bNext = nextEvent(b.socket, 'epoch', epochWith(b.socket, [0, 1, 2]));
    const c = await peer(s.url);
    expect(c.welcome.epoch).toBe(b.welcome.epoch + 1);
    const t = buildTopology('ring', [0, 1, 2]);
    for (const [p, u] of [[a, await aNext], [b, await bNext]] as const) {
      expect(u.epoch).toBe(c.welcome.epoch);
      expect(u.neighbours).toEqual(listsOf(neighboursOf(t, p.welcome.peerId)));
    }
  });

  it('joins that arrive together share epochs: a bystander hears fewer epochs than there were joins, and everyone ends with the same members', async () => {
    // All from 127.0.0.1: the per-address limits are raised out of the way.
    const s = await start({ algorithm: 'dpsgd', maxPeers: 64 }, { tuning: { maxPeersPerAddress: 64, joinsPerAddress: { burst: 64, perSecond: 64 } } });
    const bystander = await peer(s.url);
    let epochs = 0;
    bystander.socket.on('epoch', () => epochs++);
    const JOINERS = 24;
    const sockets = await Promise.all(Array.from({ length: JOINERS }, () => client(s.url)));
    const welcomes = sockets.map((c) => nextEvent<WelcomePayload>(c, 'welcome'));
    for (const c of sockets) c.emit('hello', { role: 'peer', backend: 'wasm' });
    const ws = await Promise.all(welcomes);
    sockets.forEach((c, i) => trackMembers(c, ws[i]));
    const live = [bystander.welcome.peerId, ...ws.map((w) => w.peerId)].sort((a, b) => a - b);
    await vi.waitFor(() => expect(heldMembers.get(bystander.socket)!()).toEqual(live));
    expect(epochs).toBeGreaterThan(0);
    expect(epochs).toBeLessThan(JOINERS);
    // A joiner welcomed in an earlier turn than the last hears the later ones' epochs.
    for (const c of sockets) await vi.waitFor(() => expect(heldMembers.get(c)!()).toEqual(live));
    expect(s.run.coordinator.members()).toEqual(live);
  });

  it('joins soon after an epoch wait for (live peers / epochMessagesPerSec) and then share one epoch', async () => {
    // 0.5 epoch messages a second: with one live peer the next epoch may come 2 s after the last.
    const s = await start({ algorithm: 'dpsgd', maxPeers: 64 }, { tuning: { maxPeersPerAddress: 64, epochMessagesPerSec: 0.5 } });
    const first = await peer(s.url);
    const settledAt = Date.now();
    let epochs = 0;
    first.socket.on('epoch', () => epochs++);
    const sockets = await Promise.all(Array.from({ length: 3 }, () => client(s.url)));
    const welcomes = sockets.map((c) => nextEvent<WelcomePayload>(c, 'welcome'));
    for (const c of sockets) c.emit('hello', { role: 'peer', backend: 'wasm' });
    const ws = await Promise.all(welcomes);
    expect(Date.now() - settledAt).toBeGreaterThanOrEqual(1900);
    expect(new Set(ws.map((w) => w.epoch)).size).toBe(1); // one epoch for the three
    await vi.waitFor(() => expect(epochs).toBe(1));
  });

  it('R-FAST joins grow the graph within the epoch: only the peers a joiner is attached to hear of it, and a leave rebuilds', async () => {
    const s = await start({ algorithm: 'rfast', topology: { kind: 'exponential' }, maxPeers: 16 }, { tuning: { maxPeersPerAddress: 16 } });
    const first = await peer(s.url);
    const epoch = first.welcome.epoch;
    const heard = new Map<PeerId, GrowPayload[]>();
    const epochs: EpochPayload[] = [];
    const joined = [first];
    const listen = (p: typeof first) => {
      heard.set(p.welcome.peerId, []);
      p.socket.on('grow', (g: GrowPayload) => heard.get(p.welcome.peerId)!.push(g));
      p.socket.on('epoch', (e: EpochPayload) => epochs.push(e));
    };
    listen(first);
    for (let i = 0; i < 5; i++) {
      const p = await peer(s.url);
      expect(p.welcome.epoch).toBe(epoch); // no new epoch
      expect(p.welcome.neighbours.members).toEqual(s.run.coordinator.members());
      listen(p);
      joined.push(p);
    }
    // Every joiner was announced to the peers it was attached to (two, once there are two), and to no one else.
    const live = joined.map((p) => p.welcome.peerId);
    await vi.waitFor(() => {
      for (const j of live.slice(1)) {
        const attached = s.run.coordinator.neighboursOf(j)!.undirected.filter((p) => p < j);
        const told = live.filter((p) => heard.get(p)!.some((g) => g.added.includes(j)));
        expect(told).toEqual(attached);
        expect(attached.length).toBe(Math.min(2, live.indexOf(j)));
      }
    });
    for (const [id, gs] of heard) {
      gs.forEach((g, i) => {
        expect(g.epoch).toBe(epoch);
        // Lists only grow: each grow holds everything the one before it did.
        if (i > 0) for (const q of gs[i - 1].neighbours.cOut) expect(g.neighbours.cOut).toContain(q);
      });
      if (gs.length > 0) expect(gs.at(-1)!.neighbours).toEqual(listsOf(s.run.coordinator.neighboursOf(id)!));
    }
    expect(epochs).toEqual([]);
    // A departure stays within the epoch too: the leaver's neighbours, and only they, hear of it,
    // with lists that no longer name it.
    const gone = joined.pop()!;
    const goneId = gone.welcome.peerId;
    const around = s.run.coordinator.neighboursOf(goneId)!.undirected;
    const counts = new Map([...heard].map(([id, gs]) => [id, gs.length] as const));
    gone.socket.disconnect();
    await vi.waitFor(() => {
      for (const id of around) expect(heard.get(id)!.at(-1)!.removed).toEqual([goneId]);
    });
    for (const id of around) {
      const g = heard.get(id)!.at(-1)!;
      expect(g.epoch).toBe(epoch);
      expect(g.neighbours).toEqual(listsOf(s.run.coordinator.neighboursOf(id)!));
      expect(g.neighbours.undirected).not.toContain(goneId);
    }
    // A peer the leaver was not linked to heard nothing: its next grow would be news of some other change.
    const others = live.filter((id) => id !== goneId && !around.includes(id));
    for (const id of others) expect(heard.get(id)!.length).toBe(counts.get(id));
    expect(epochs).toEqual([]);
  });

  it('a disconnect starts a new epoch without the departed peer (D-PSGD)', async () => {
    const s = await start({ algorithm: 'dpsgd' });
    const a = await peer(s.url);
    const b = await peer(s.url);
    const c = await peer(s.url);
    const aNext = nextEvent(a.socket, 'epoch', epochWith(a.socket, [0, 2]));
    const cNext = nextEvent(c.socket, 'epoch', epochWith(c.socket, [0, 2]));
    b.socket.disconnect();
    const [ua, uc] = await Promise.all([aNext, cNext]);
    expect(ua.epoch).toBe(c.welcome.epoch + 1);
    expect(uc.epoch).toBe(ua.epoch);
    expect(s.run.coordinator.members()).toEqual([0, 2]);
    expect(s.run.counters.leaves).toBe(1);
    expect(s.run.peers.summaries().find((r) => r.id === 1)?.state).toBe('left');
  });

  it('an explicit leave is news to the neighbours, and the connection may join again as a new peer', async () => {
    const s = await start();
    const a = await peer(s.url);
    const b = await peer(s.url);
    const aNext = newsWith(a.socket, [0]);
    b.socket.emit('leave', {});
    expect(await aNext).toBe('grow'); // R-FAST: within the epoch
    expect(s.run.coordinator.epoch).toBe(a.welcome.epoch);
    const again = nextEvent<{ peerId: number }>(b.socket, 'welcome');
    b.socket.emit('hello', { role: 'peer', backend: 'wasm' });
    expect((await again).peerId).toBe(2);
  });

  it('drops a silent peer after peerTimeoutMs and disconnects it', async () => {
    let now = 1_000_000;
    const s = await start({ peerTimeoutMs: 5000 }, { clock: () => now });
    const a = await peer(s.url);
    const b = await peer(s.url);
    // b has trained (from its first reported step on, peerTimeoutMs applies, not joinGraceMs)
    b.socket.emit('telemetry', telemetry);
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(1));
    now += 4000;
    // a speaks (a relayed signal proves the server handled it); b stays silent
    const relayed = nextEvent(b.socket, 'signal');
    a.socket.emit('signal', { to: b.welcome.peerId, data: offer });
    await relayed;
    now += 2000; // b: 6000 ms silent, a: 2000 ms
    const aNext = newsWith(a.socket, [a.welcome.peerId]);
    const bGone = nextEvent(b.socket, 'disconnect');
    s.host.sweep();
    await Promise.all([aNext, bGone]);
    expect(s.run.counters.timeouts).toBe(1);
    expect(s.run.peers.summaries().find((r) => r.id === b.welcome.peerId)?.state).toBe('timed-out');
  });

  it('does not time out peers for a stall of the server’s own event loop, and still drops one that stays silent', async () => {
    const s = await start({ peerTimeoutMs: 1000, telemetryIntervalMs: 400, heartbeatIntervalMs: 400 });
    const a = await peer(s.url);
    a.socket.emit('telemetry', telemetryReport({ steps: 10, samples: 320 }));
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(1));
    // The event loop held for 1.5 s, as by a long synchronous task. The report sent right after it
    // waits in the socket while the sweep, due during the stall, runs first.
    const end = performance.now() + 1500;
    while (performance.now() < end) {
      // the stall
    }
    a.socket.emit('telemetry', telemetryReport({ steps: 20, samples: 640 }));
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(2));
    expect(s.run.counters.timeouts).toBe(0);
    expect(s.run.counters.serverStalls).toBeGreaterThanOrEqual(1);
    expect(s.run.counters.serverStalledMs).toBeGreaterThanOrEqual(1000);
    // Silent for real from here on: dropped once peerTimeoutMs has passed.
    await nextEvent(a.socket, 'disconnect', () => true, 5000);
    expect(s.run.counters.timeouts).toBe(1);
  });

  it('gives a peer that has not reported a step joinGraceMs before it drops it', async () => {
    let now = 1_000_000;
    const s = await start({ peerTimeoutMs: 5000 }, { clock: () => now, tuning: { joinGraceMs: 20_000 } });
    const a = await peer(s.url);
    a.socket.emit('telemetry', { ...telemetry, steps: 0, samples: 0 }); // still downloading: telemetry says 0 steps
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(1));
    now += 19_000;
    expect(s.host.sweep()).toEqual([]);
    now += 2000; // 21 s silent: past the grace
    const gone = nextEvent(a.socket, 'disconnect');
    expect(s.host.sweep()).toEqual([a.welcome.peerId]);
    await gone;
    expect(s.run.counters.timeouts).toBe(1);
  });

  it('tells joiners the run is fresh until a peer reports trained samples', async () => {
    const s = await start();
    const a = await peer(s.url);
    const b = await peer(s.url);
    expect([a.welcome.fresh, b.welcome.fresh]).toEqual([true, true]);
    a.socket.emit('telemetry', { ...telemetry, steps: 0, samples: 0 }); // still preparing: the run stays fresh
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(1));
    expect((await peer(s.url)).welcome.fresh).toBe(true);
    a.socket.emit('telemetry', telemetry);
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(2));
    expect(s.run.totalSamples()).toBeGreaterThan(0);
    expect((await peer(s.url)).welcome.fresh).toBe(false);
  });

  it('refuses a peer beyond maxPeers', async () => {
    const s = await start({ maxPeers: 1 });
    await peer(s.url);
    const c = await client(s.url);
    const r = nextEvent<RejectedPayload>(c, 'rejected');
    c.emit('hello', { role: 'peer', backend: 'wasm' });
    expect(await r).toMatchObject({ event: 'hello', code: 'run-full' });
  });
});

describe('signal relay', () => {
  it('relays between two live peers with the sender id', async () => {
    const s = await start();
    const a = await peer(s.url);
    const b = await peer(s.url);
    const got = nextEvent<SignalRelayPayload>(b.socket, 'signal');
    a.socket.emit('signal', { to: b.welcome.peerId, data: offer });
    expect(await got).toEqual({ from: a.welcome.peerId, data: offer });
    const back = nextEvent<SignalRelayPayload>(a.socket, 'signal');
    const cand = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } } as const;
    b.socket.emit('signal', { to: a.welcome.peerId, data: cand });
    expect(await back).toEqual({ from: b.welcome.peerId, data: cand });
    expect(s.run.counters.signalsRelayed).toBe(2);
  });

  it('refuses unknown, departed and own ids', async () => {
    const s = await start();
    const a = await peer(s.url);
    const b = await peer(s.url);
    const gone = newsWith(a.socket, [a.welcome.peerId]);
    b.socket.disconnect();
    await gone;
    for (const to of [999, b.welcome.peerId, a.welcome.peerId]) {
      const r = nextEvent<RejectedPayload>(a.socket, 'rejected');
      a.socket.emit('signal', { to, data: offer });
      expect(await r).toMatchObject({ event: 'signal', code: 'unknown-peer' });
    }
    expect(s.run.counters.rejectedByCode['unknown-peer']).toBe(3);
    expect(s.run.counters.signalsRelayed).toBe(0);
  });
});

describe('bad input', () => {
  it('rejects and counts malformed payloads and keeps serving', async () => {
    const s = await start();
    const c = await client(s.url);
    const cases: [string, unknown[], RejectedPayload['code']][] = [
      ['telemetry', [telemetry], 'hello-required'],
      ['signal', [{ to: 0, data: offer }], 'hello-required'],
      ['hello', [42], 'invalid-payload'],
      ['hello', ['peer'], 'invalid-payload'],
      ['hello', [null], 'invalid-payload'],
      ['hello', [[1, 2]], 'invalid-payload'],
      ['hello', [], 'invalid-payload'],
      ['hello', [{ role: 'peer', backend: 7 }], 'invalid-payload'],
      ['hello', [{ role: 'peer' }], 'invalid-payload'],
      ['shutdown', [{}], 'unknown-event'],
    ];
    for (const [event, args, code] of cases) {
      const r = nextEvent<RejectedPayload>(c, 'rejected');
      emitRaw(c, event, ...args);
      const got = await r;
      expect(got.code, `${event} ${JSON.stringify(args)}`).toBe(code);
      expect(got.event).toBe(event);
    }
    // After all that the same connection can still join.
    const welcome = nextEvent<{ peerId: number }>(c, 'welcome');
    c.emit('hello', { role: 'peer', backend: 'wasm' });
    await welcome;

    const badPeerPayloads: [string, unknown][] = [
      ['telemetry', { ...telemetry, loss: 'low' }],
      ['telemetry', { ...telemetry, steps: -5 }],
      ['telemetry', 'fast'],
      ['signal', { to: 'everyone', data: offer }],
      ['signal', { to: 0, data: { type: 'offer', sdp: 'x'.repeat(100 * 1024) } }],
      ['signal', { to: 0, data: { ...offer, blob: 'y'.repeat(70 * 1024) } }],
      ['leave', { now: true }],
      ['hello', { role: 'peer', backend: 'wasm' }],
    ];
    const wantCodes = ['invalid-payload', 'invalid-payload', 'invalid-payload', 'invalid-payload', 'invalid-payload', 'invalid-payload', 'invalid-payload', 'already-joined'];
    for (let i = 0; i < badPeerPayloads.length; i++) {
      const [event, payload] = badPeerPayloads[i];
      const r = nextEvent<RejectedPayload>(c, 'rejected');
      emitRaw(c, event, payload);
      const got = await r;
      expect(got.code, event).toBe(wantCodes[i]);
      if (got.code === 'invalid-payload') expect(got.message.length).toBeGreaterThan(0);
    }
    const total = cases.length + badPeerPayloads.length;
    expect(s.run.counters.rejected).toBe(total);
    const byCode = s.run.counters.rejectedByCode;
    expect(byCode['invalid-payload'] + byCode['hello-required'] + byCode['unknown-event'] + byCode['already-joined']).toBe(total);
    expect(s.run.counters.internalErrors).toBe(0);
    expect(s.run.coordinator.members()).toEqual([0]);

    // The server still serves others.
    const other = await peer(s.url);
    expect(other.welcome.peerId).toBe(1);
    const res = await fetch(`${s.url}/api/run`);
    expect(res.status).toBe(200);
  });

  it('drops a connection whose packet exceeds the transport limit, and only that one', async () => {
    const s = await start();
    const a = await peer(s.url);
    const b = await peer(s.url);
    const bGone = nextEvent(b.socket, 'disconnect');
    const aNext = newsWith(a.socket, [a.welcome.peerId]);
    emitRaw(b.socket, 'signal', { to: 0, data: { type: 'offer', sdp: 'z'.repeat(SERVER_TUNING.maxHttpBufferSize + 1) } });
    await Promise.all([bGone, aNext]);
    const relayed = nextEvent(a.socket, 'signal');
    const c = await peer(s.url);
    c.socket.emit('signal', { to: a.welcome.peerId, data: offer });
    expect(await relayed).toEqual({ from: c.welcome.peerId, data: offer });
  });

  it('names the offending field in the rejection message', async () => {
    const s = await start();
    const a = await peer(s.url);
    const r = nextEvent<RejectedPayload>(a.socket, 'rejected');
    emitRaw(a.socket, 'telemetry', { ...telemetry, framesLost: 1.5 });
    expect((await r).message).toContain('framesLost');
  });

  it('refuses peer events from observers', async () => {
    const s = await start();
    const o = await client(s.url);
    const seen = nextEvent<ObservingPayload>(o, 'observing');
    o.emit('hello', { role: 'observer', backend: 'none' });
    await seen;
    const r = nextEvent<RejectedPayload>(o, 'rejected');
    o.emit('telemetry', telemetry);
    expect(await r).toMatchObject({ code: 'not-a-peer', event: 'telemetry' });
  });
});

describe('telemetry and observers', () => {
  it('stores telemetry per peer and shows it to observers', async () => {
    const s = await start();
    const o = await client(s.url);
    const observing = nextEvent<ObservingPayload>(o, 'observing');
    const firstPeers = nextEvent<PeersPayload>(o, 'peers');
    o.emit('hello', { role: 'observer', backend: 'none' });
    expect((await observing).runId).toBe(s.run.runId);
    expect((await firstPeers).peers).toEqual([]);

    const a = await peer(s.url);
    const b = await peer(s.url);
    a.socket.emit('telemetry', telemetry);
    a.socket.emit('telemetry', { ...telemetry, steps: 20, loss: 1.2, accuracy: 0.5 });
    const relayed = nextEvent(b.socket, 'signal');
    a.socket.emit('signal', { to: b.welcome.peerId, data: offer }); // handled after both reports
    await relayed;
    expect(s.run.peers.history(a.welcome.peerId).map((t) => t.steps)).toEqual([10, 20]);

    const summary = nextEvent<PeersPayload>(o, 'peers', (p) => p.peers.some((r) => r.steps === 20));
    s.host.broadcastPeers();
    const row = (await summary).peers.find((r) => r.id === a.welcome.peerId)!;
    expect(row).toMatchObject({ state: 'live', steps: 20, loss: 1.2, accuracy: 0.5, backend: 'wasm' });
    expect(s.run.counters.telemetryReports).toBe(2);
  });

  it('flags a peer that reports a diverged model, in the summary observers get and in /api/peers', async () => {
    const s = await start();
    const o = await client(s.url);
    const observing = nextEvent<ObservingPayload>(o, 'observing');
    o.emit('hello', { role: 'observer', backend: 'none' });
    await observing;
    const a = await peer(s.url);
    const b = await peer(s.url);
    a.socket.emit('telemetry', telemetry);
    b.socket.emit('telemetry', { ...telemetry, loss: null, diverged: true });
    const summary = nextEvent<PeersPayload>(o, 'peers', (p) => p.peers.some((r) => r.flags.length > 0));
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(2));
    s.host.broadcastPeers();
    const rows = (await summary).peers;
    expect(rows.find((r) => r.id === a.welcome.peerId)!.flags).toEqual([]);
    expect(rows.find((r) => r.id === b.welcome.peerId)!.flags).toEqual([expect.objectContaining({ code: 'diverged', message: expect.stringMatching(/non-finite/) })]);
    const listed = (await (await fetch(`${s.url}/api/peers`)).json()) as PeersPayload;
    expect(listed.peers.find((r) => r.id === b.welcome.peerId)!.flags[0].code).toBe('diverged');
  });

  it('ejects a peer two others refused frames of: told why, disconnected, its address barred from joining again', async () => {
    const s = await start({ topology: { kind: 'exponential' } }, { tuning: { peersBroadcastMs: 50 } });
    const a = await peer(s.url);
    const b = await peer(s.url);
    const c = await peer(s.url);
    const bad = c.welcome.peerId;
    const told = nextEvent<RejectedPayload>(c.socket, 'rejected', (r) => r.code === 'ejected');
    const gone = nextEvent(c.socket, 'disconnect');
    const aNext = nextEvent(a.socket, 'epoch', epochWith(a.socket, [a.welcome.peerId, b.welcome.peerId]));
    const evidence = [{ peer: bad, frames: 40, refused: 12, clipped: 3, frozen: 0, opposed: 0 }];
    a.socket.emit('telemetry', { ...telemetry, evidence });
    b.socket.emit('telemetry', { ...telemetry, evidence });
    expect((await told).message).toMatch(/ejected/);
    await Promise.all([gone, aNext]);
    // A new epoch even in this R-FAST run, whose other departures stay within the epoch: only a
    // reset clears the mass the ejected peer injected.
    expect(s.run.coordinator.epoch).toBe(c.welcome.epoch + 1);
    const row = s.run.peers.summaries().find((r) => r.id === bad);
    expect(row?.state).toBe('left');
    expect(row?.flags.map((f) => f.code)).toContain('hostile-frames');
    // The same address may not come back as a new peer.
    const again = await client(s.url);
    const refused = nextEvent<RejectedPayload>(again, 'rejected');
    again.emit('hello', { role: 'peer', backend: 'wasm' });
    expect(await refused).toMatchObject({ event: 'hello', code: 'ejected' });
  });

  it('judges at once, not at the next broadcast, when reports arrive whose evidence counts (an opposed sign-flipper)', async () => {
    // The broadcast (and its verdict) would only run in a minute: the ejection comes from judgeSoon.
    const s = await start({ topology: { kind: 'exponential' } }, { tuning: { peersBroadcastMs: 60_000 } });
    const a = await peer(s.url);
    const b = await peer(s.url);
    const c = await peer(s.url);
    const told = nextEvent<RejectedPayload>(c.socket, 'rejected', (r) => r.code === 'ejected');
    const evidence = [{ peer: c.welcome.peerId, frames: 100, refused: 0, clipped: 10, frozen: 0, opposed: 40 }];
    a.socket.emit('telemetry', { ...telemetry, evidence });
    b.socket.emit('telemetry', { ...telemetry, evidence });
    expect((await told).message).toMatch(/ejected/);
    const row = s.run.peers.summaries().find((r) => r.id === c.welcome.peerId);
    expect(row?.flags[0].message).toMatch(/80 pointed against the receiver's model or lay to one side of it/);
  });

  it('flags but does not eject on one accuser with refusals and one with clipping alone', async () => {
    const s = await start({ topology: { kind: 'exponential' } }, { tuning: { peersBroadcastMs: 50 } });
    const a = await peer(s.url);
    const b = await peer(s.url);
    const c = await peer(s.url);
    a.socket.emit('telemetry', { ...telemetry, evidence: [{ peer: c.welcome.peerId, frames: 40, refused: 12, clipped: 0, frozen: 0, opposed: 0 }] });
    b.socket.emit('telemetry', { ...telemetry, evidence: [{ peer: c.welcome.peerId, frames: 100, refused: 0, clipped: 90, frozen: 0, opposed: 0 }] });
    c.socket.emit('telemetry', { ...telemetry, evidence: [{ peer: a.welcome.peerId, frames: 100, refused: 50, clipped: 0, frozen: 0, opposed: 0 }] });
    await vi.waitFor(() => expect(s.run.counters.telemetryReports).toBe(3));
    // Two reporters flag c, but only one holds refusals: the check ran, and nobody was ejected.
    const flagsOf = (id: PeerId) => s.run.peers.summaries().find((r) => r.id === id)?.flags.map((f) => f.code) ?? [];
    await vi.waitFor(() => expect(flagsOf(c.welcome.peerId)).toContain('hostile-frames'));
    expect(flagsOf(a.welcome.peerId)).not.toContain('hostile-frames');
    expect(s.run.peers.summaries().every((r) => r.state === 'live')).toBe(true);
  });

  it('pushes run-state changes to every client', async () => {
    const s = await start({ lossRate: 0.1 });
    const c = await client(s.url);
    const first = nextEvent<RunStatePayload>(c, 'run-state');
    c.emit('hello', { role: 'peer', backend: 'wasm' });
    expect(await first).toEqual({ paused: false, lossRate: 0.1 });
    const next = nextEvent<RunStatePayload>(c, 'run-state');
    const res = await fetch(`${s.url}/api/run/state`, { method: 'POST', body: JSON.stringify({ paused: true, lossRate: 0.3 }), headers: adminHeaders() });
    expect(res.status).toBe(200);
    expect(await next).toEqual({ paused: true, lossRate: 0.3 });
  });
});
