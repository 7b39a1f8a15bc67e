/**
 * Load bench of the signaling server (not a test: it prints figures). For each N, the real server
 * process (main.ts, default tuning) and N socket.io clients on loopback, spread over loopback
 * addresses (`--per-address` each, as volunteers come from many addresses, so the per-address
 * limits apply as they would in the field). Every client joins as a peer at once and, from its
 * welcome on, sends telemetry once a second and relays one small signal a second to a neighbour
 * through the server (the signal's delivery time is the event latency); once all have joined,
 * that goes on for `--seconds`. The run's maxPeers is the largest N.
 *
 *   npx tsx apps/server/src/bench-load.ts [--clients 200,500] [--seconds 20] [--per-address 8] [--processes 1] [--leaves K] [--cpu-prof DIR]
 *   npx tsx apps/server/src/bench-load.ts --summarise DIR    (the profile summary of an earlier run)
 *
 * Prints, per N: join latency (hello -> welcome) p50/p99/max and connect time, refusals by code, connection
 * `--leaves K`: after the steady load, K of the joined clients (spread over the join order) disconnect
 * one every LEAVE_GAP_MS, and the bench counts the epoch and grow messages the others receive for
 * them (what a departure costs the swarm).
 *
 * failures, relay latency p50/p99, epoch messages and their bytes per client, server RSS (peak and
 * at the end, from /proc; the counters from GET /api/health), and the bench process's own event-loop delay, which says
 * whether the figures are the server's or the clients'.
 *
 * `--processes 2` (or more) runs a cluster instead (issue 11): a real redis-server
 * (scripts/services.ts), that many server processes with `--redis` on one data directory, and the
 * clients spread over them in turn, so most signals cross processes. RSS is then each process's
 * own, and the counters are the run owner's (the first process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startRedis } from '../../../scripts/services';
import type { ClientToServer, HealthResponse, RejectedPayload, ServerToClient, WelcomePayload } from '@starling/protocol';
import { io, type Socket } from 'socket.io-client';

type Client = Socket<ServerToClient, ClientToServer>;

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200,500' },
    seconds: { type: 'string', default: '20' },
    'per-address': { type: 'string', default: '8' },
    processes: { type: 'string', default: '1' },
    leaves: { type: 'string', default: '0' },
    /** Write the server's V8 CPU profile here and print where its time went. */
    'cpu-prof': { type: 'string' },
    summarise: { type: 'string' },
  },
});
const SIZES = values.clients.split(',').map(Number);
const SECONDS = Number(values.seconds);
const PER_ADDRESS = Number(values['per-address']);
const PROCESSES = Number(values.processes);
if (!Number.isInteger(PROCESSES) || PROCESSES < 1) throw new Error(`--processes must be a whole number >= 1 (got ${values.processes})`);
const LEAVES = Number(values.leaves);
if (!Number.isInteger(LEAVES) || LEAVES < 0) throw new Error(`--leaves must be a whole number >= 0 (got ${values.leaves})`);
const JOIN_TIMEOUT_MS = 60_000;
/** Between two departures of --leaves: apart enough that each is its own membership change. */
const LEAVE_GAP_MS = 50;
/** How long the server gets to count every departure of --leaves. */
const LEAVE_TIMEOUT_MS = 30_000;

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The first process starts a new run; with --redis the others join its cluster (no --new-run). */
async function startServer(dir: string, first: boolean, redisUrl?: string): Promise<{ child: ChildProcess; url: string }> {
  await writeFile(join(dir, 'run.json'), JSON.stringify({ maxPeers: Math.max(...SIZES), peerTimeoutMs: 30_000, snapshotIntervalMs: 0, topology: { kind: 'exponential' } }));
  const prof = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']];
  const cluster = redisUrl === undefined ? [] : ['--redis', redisUrl];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'apps/server/src/main.ts', '--port', '0', '--data-dir', join(dir, 'data'), '--config', join(dir, 'run.json'), '--web-dist', dir, ...(first ? ['--new-run'] : []), ...cluster], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      // In a cluster the first process must own the run before the others start.
      if (m && (!first || redisUrl === undefined || /data: ready/.test(out))) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { child, url };
}

async function health(url: string): Promise<HealthResponse | null> {
  try {
    return (await (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) })).json()) as HealthResponse;
  } catch {
    return null;
  }
}

interface Peer {
  socket: Client;
  id?: number;
  to?: number;
  steps: number;
}

/** Resident memory of a process (Linux), or 0 when it cannot be read (gone). */
function rssOf(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

async function runOnce(n: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'starling-load-'));
  const redis = PROCESSES > 1 ? await startRedis() : null;
  const servers: { child: ChildProcess; url: string }[] = [];
  for (let k = 0; k < PROCESSES; k++) servers.push(await startServer(dir, k === 0, redis?.url));
  const url = servers[0].url;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  // Read from /proc, not /api/health: a saturated server does not answer in time, and in a cluster
  // the API is the owner's.
  const peakRssOf = servers.map(() => 0);
  const rssTimer = setInterval(() => servers.forEach((sv, k) => (peakRssOf[k] = Math.max(peakRssOf[k], rssOf(sv.child.pid)))), 1000);

  const joinMs: number[] = [];
  const connectMs: number[] = [];
  const refusals = new Map<string, number>();
  let connectFailures = 0;
  let epochs = 0;
  let grows = 0;
  /** JSON bytes of the epoch and grow payloads received (counted for --leaves only: it costs the clients' CPU). */
  let newsBytes = 0;
  /** Bytes of every packet the clients received (engine.io frames), by phase. */
  let bytesIn = 0;
  const relayMs: number[] = [];
  const peers: Peer[] = [];
  const t0 = performance.now();
  // Like a real peer, each client reports telemetry once a second and relays one small signal a
  // second to a neighbour from its welcome on (a random phase), also while the others still join.
  const timers: ReturnType<typeof setTimeout>[] = [];
  const startTicking = (p: Peer) => {
    timers.push(
      setTimeout(() => {
        const tick = () => {
          p.steps += 20;
          p.socket.emit('telemetry', {
            steps: p.steps, samples: p.steps * 32, loss: 1, stepsPerSec: 20, backend: 'wasm', bytesSent: 0, bytesReceived: 0, framesSent: 0,
            framesReceived: 0, framesLost: 0, framesRejected: 0, computeMs: 500, commMs: 100, epoch: 1, neighbours: 1,
          });
          if (p.to !== undefined) p.socket.emit('signal', { to: p.to, data: { type: 'candidate', candidate: { candidate: `t=${performance.now()}` } } });
        };
        tick();
        const every = setInterval(tick, 1000);
        p.socket.once('disconnect', () => clearInterval(every));
        timers.push(every);
      }, Math.random() * 1000),
    );
  };
  const joins = Array.from({ length: n }, (_, i) => {
    const address = `127.0.${1 + Math.floor(i / PER_ADDRESS / 250)}.${2 + (Math.floor(i / PER_ADDRESS) % 250)}`;
    const socket: Client = io(servers[i % PROCESSES].url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: JOIN_TIMEOUT_MS, localAddress: address } as never);
    const peer: Peer = { socket, steps: 0 };
    peers.push(peer);
    socket.io.on('open', () => socket.io.engine.on('packet', (p: { data?: unknown }) => (bytesIn += typeof p.data === 'string' ? p.data.length : 0)));
    socket.on('epoch', (e) => {
      epochs++;
      if (LEAVES > 0) newsBytes += JSON.stringify(e).length; // only --leaves reports it
      peer.to = e.neighbours.rOut.find((x) => x !== peer.id);
    });
    // R-FAST runs grow on joins: only the peers a joiner is attached to hear of it.
    socket.on('grow', (g) => {
      grows++;
      if (LEAVES > 0) newsBytes += JSON.stringify(g).length; // only --leaves reports it
      peer.to = g.neighbours.rOut.find((x) => x !== peer.id);
    });
    socket.on('signal', (s) => {
      const sent = Number(/^t=([\d.]+)/.exec(s.data.type === 'candidate' ? s.data.candidate.candidate : '')?.[1]);
      if (Number.isFinite(sent)) relayMs.push(performance.now() - sent);
    });
    return new Promise<void>((done) => {
      const created = performance.now();
      let hello = created;
      const timer = setTimeout(() => (refusals.set('join-timeout', (refusals.get('join-timeout') ?? 0) + 1), done()), JOIN_TIMEOUT_MS);
      socket.once('connect_error', () => (connectFailures++, clearTimeout(timer), done()));
      socket.once('connect', () => {
        hello = performance.now();
        connectMs.push(hello - created);
        socket.emit('hello', { role: 'peer', backend: 'wasm' });
      });
      socket.once('welcome', (w: WelcomePayload) => {
        joinMs.push(performance.now() - hello);
        peer.id = w.peerId;
        peer.to = w.neighbours.rOut.find((x) => x !== w.peerId);
        clearTimeout(timer);
        startTicking(peer);
        done();
      });
      socket.on('rejected', (r: RejectedPayload) => {
        refusals.set(r.code, (refusals.get(r.code) ?? 0) + 1);
        if (r.event === 'hello') (clearTimeout(timer), done());
      });
    });
  });
  process.stderr.write(`N=${n}: ${n} clients created, joining...\n`);
  await Promise.all(joins);
  process.stderr.write(`N=${n}: ${joinMs.length} joined; ${SECONDS} s of steady load...\n`);
  const joinWallS = (performance.now() - t0) / 1000;
  const joinEpochs = epochs;
  const joinGrows = grows;
  const joinBytes = bytesIn;

  // Steady state: every joined peer keeps up its telemetry and signal a second.
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const left = LEAVES > 0 ? await departures(url, peers, () => ({ epochs, grows, bytes: newsBytes })) : null;
  for (const t of timers) clearTimeout(t);
  const end = await health(url);
  const endRssOf = servers.map((sv) => rssOf(sv.child.pid));
  clearInterval(rssTimer);
  lag.disable();
  for (const p of peers) p.socket.disconnect();
  for (const { child } of servers) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  // Redis drops a subscriber whose pending pub/sub output passes its buffer limit (32 MiB by default).
  const redisDrops = redis === null ? [] : redis.log().split('\n').filter((l) => /output buffer limits|closed for overcoming/i.test(l));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });

  const c = end?.counters ?? {};
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
  console.log(
    [
      `N=${n} (${Math.ceil(n / PER_ADDRESS)} addresses, ${PER_ADDRESS} each${PROCESSES > 1 ? `, ${PROCESSES} server processes on Redis` : ''}), ${SECONDS} s of telemetry + 1 signal/s each:`,
      `  joined ${joinMs.length}/${n} in ${joinWallS.toFixed(1)} s; join latency (hello -> welcome) p50 ${fmt(quantile(joinMs, 0.5))} ms, p99 ${fmt(quantile(joinMs, 0.99))} ms, max ${fmt(Math.max(...joinMs))} ms; connect p99 ${fmt(quantile(connectMs, 0.99))} ms`,
      `  refusals: ${[...refusals].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; connection failures ${connectFailures}; server timeouts ${c.timeouts ?? '-'}, rate-limited ${c['rejectedByCode.rate-limited'] ?? '-'}, slow-client cuts ${c.slowClientDisconnects ?? '-'}`,
      `  relay latency (${relayMs.length} signals) p50 ${fmt(quantile(relayMs, 0.5))} ms, p99 ${fmt(quantile(relayMs, 0.99))} ms`,
      `  during the joins: ${joinEpochs} epoch messages (${(joinEpochs / Math.max(1, joinMs.length)).toFixed(0)} per peer) and ${joinGrows} grow messages, ${(joinBytes / 2 ** 20).toFixed(1)} MiB received by the clients in all; steady state ${((bytesIn - joinBytes) / 2 ** 20 / SECONDS).toFixed(2)} MiB/s`,
      ...(left === null ? [] : [`  ${left.count} leaves (${left.counted} counted by the server in ${left.seconds.toFixed(1)} s): the others received ${left.epochs} epoch and ${left.grows} grow messages (${(left.messages / Math.max(1, left.count)).toFixed(1)} per leave, ${(left.bytes / 1024).toFixed(1)} KiB of payload in all)`]),
      `  server RSS${PROCESSES > 1 ? ' per process' : ''}, peak ${peakRssOf.map((b) => (b / 2 ** 20).toFixed(0)).join(' / ')} MiB, at the end ${endRssOf.map((b) => (b / 2 ** 20).toFixed(0)).join(' / ')} MiB; ${PROCESSES > 1 ? 'the owner counted ' : ''}telemetry reports ${c.telemetryReports ?? '-'}, signals relayed ${c.signalsRelayed ?? '-'}`,
      ...(redisDrops.length > 0 ? [`  redis-server cut ${redisDrops.length} client(s) off for output buffer limits: ${redisDrops[0].trim().slice(0, 200)}`] : []),
      `  bench process event-loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`,
    ].join('\n'),
  );
}

/**
 * --leaves: LEAVES joined clients, spread over the join order, disconnect one every LEAVE_GAP_MS;
 * waits until the server counted them (or LEAVE_TIMEOUT_MS), then half a second for the news to
 * arrive, and says what the others received meanwhile.
 */
async function departures(url: string, peers: Peer[], news: () => { epochs: number; grows: number; bytes: number }) {
  const joined = peers.filter((p) => p.id !== undefined && p.socket.connected);
  const count = Math.min(LEAVES, joined.length);
  const picked = Array.from({ length: count }, (_, i) => joined[Math.floor((i * joined.length) / count)]);
  const before = news();
  const leavesBefore = (await health(url))?.counters.leaves ?? 0;
  const t0 = performance.now();
  for (const p of picked) {
    p.socket.disconnect();
    await new Promise((r) => setTimeout(r, LEAVE_GAP_MS));
  }
  let counted = 0;
  while (performance.now() - t0 < LEAVE_TIMEOUT_MS) {
    counted = ((await health(url))?.counters.leaves ?? leavesBefore) - leavesBefore;
    if (counted >= count) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const after = news();
  const epochs = after.epochs - before.epochs;
  const grows = after.grows - before.grows;
  return { count, counted, seconds, epochs, grows, messages: epochs + grows, bytes: after.bytes - before.bytes };
}

/**
 * Self time per function in the busiest V8 profile in `dir` (the server's main thread; tsx's
 * loader thread writes one too), top 15, as shares of the busy (non-idle) samples.
 */
async function summariseProfile(dir: string): Promise<void> {
  const { readdir, readFile } = await import('node:fs/promises');
  let best: { busy: number; self: Map<string, number> } | undefined;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
      samples: number[];
    };
    const byNode = new Map(p.nodes.map((nd) => [nd.id, nd.callFrame]));
    const self = new Map<string, number>();
    let busy = 0;
    for (const id of p.samples) {
      const f = byNode.get(id)!;
      if (f.functionName === '(idle)') continue;
      busy++;
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/apps\//, 'apps/')}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + 1);
    }
    if (best === undefined || busy > best.busy) best = { busy, self };
  }
  if (best === undefined) return;
  console.log(`server CPU profile, main thread (${best.busy} busy samples), self time:`);
  for (const [k, v] of [...best.self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${((100 * v) / best.busy).toFixed(1)}%  ${k}`);
}

/** `--summarise DIR` alone: only print the summary of profiles written earlier. */

if (values.summarise !== undefined) await summariseProfile(values.summarise);
else {
  for (const n of SIZES) await runOnce(n);
  if (values['cpu-prof'] !== undefined) await summariseProfile(values['cpu-prof']);
}
