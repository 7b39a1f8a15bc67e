import { expect, test } from '@playwright/test';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathTo, type Evaluation, type EvaluationsResponse, type MetricsResponse, type PeersPayload, type RunConfigInput } from '@starling/protocol';
import type { PeerStatus } from '@starling/peer';
import { startRedis, type RedisService } from '../scripts/services';
import { startBalancer, type Balancer } from './support/balancer';
import { RFAST_MNIST_RUN } from './support/environment';
import { startHeadless, type HeadlessPeer } from './support/headless';
import { startServer, type TestServer } from './support/server';
import { tempDir } from './support/temp-dir';
import { waitFor } from './support/swarm';

/**
 * Signaling over several server processes (issue 11): two processes share one swarm through a
 * real redis-server and the socket.io Redis adapter, with a shared data directory. Six headless
 * peers (real WebRTC, real TF.js), three behind each process's own balancer (a primary and a
 * spare, as a deployment's load balancer would fail over), are introduced to each other across
 * processes and train together; both processes list all six. Then the process that owns the run
 * is killed (SIGKILL, as in a crash): the other takes the run over from the database when the
 * lease lapses, the dead process's peers reconnect to it, training goes on, and the run's history
 * (metrics, evaluations, sample total) is all still there.
 *
 * Headless peers rather than tabs: six Chromium tabs, two servers and Redis on two cores starved
 * the tabs into timeouts (see the README); the peers are the same runtime a tab runs.
 */
const RUN: RunConfigInput = {
  ...RFAST_MNIST_RUN,
  runId: 'e2e-cluster',
  // Local accuracy on the peers' test subset every 100 steps; server evaluations every 3 s.
  evalEverySteps: 100,
  snapshotIntervalMs: 3000,
};
const PER_PROCESS = 3;
const TARGET = 0.9;
/** Steps every peer must take after the takeover to count as training again. */
const STEPS_AFTER = 150;

let redis: RedisService | null = null;
let servers: TestServer[] = [];
let balancers: Balancer[] = [];
let peers: HeadlessPeer[] = [];

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus) {
    servers.forEach((s, i) => console.error(`server ${i} log:\n${s.log().slice(-4000)}`));
    for (const p of peers) {
      const st = p.latest();
      console.error(`${p.label}: ${p.trouble() ?? 'alive'}; last status phase ${st?.phase} epoch ${st?.epoch} peer ${st?.peerId} steps ${st?.steps}`);
      console.error(`${p.label} log:\n${p.log().slice(-1500)}`);
    }
  }
  await Promise.all(peers.map((p) => p.stop()));
  peers = [];
  await Promise.all(balancers.map((b) => b.close()));
  balancers = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  await redis?.stop();
  redis = null;
});

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Live peers as a process's API lists them, or null while it cannot answer (no owner yet). */
async function livePeers(server: TestServer): Promise<PeersPayload['peers'] | null> {
  try {
    return (await getJson<PeersPayload>(server.url + pathTo('peers'))).peers.filter((p) => p.state === 'live');
  } catch {
    return null;
  }
}

function statuses(): PeerStatus[] | null {
  const dead = peers.map((p) => p.trouble()).filter((t) => t !== null);
  if (dead.length > 0) throw new Error(dead.join('; '));
  const ss = peers.map((p) => p.latest());
  if (ss.some((s) => s?.phase === 'error')) throw new Error(ss.map((s, i) => `node${i}: ${s?.error?.message ?? s?.phase}`).join('; '));
  return ss.every((s) => s !== null) ? (ss as PeerStatus[]) : null;
}

const evalKey = (e: Evaluation) => `${e.t}/${e.peerId}/${e.snapshotSteps}`;

test('six peers on two server processes sharing Redis train together, and the run survives its owner being killed', async () => {
  test.setTimeout(12 * 60_000); // the waits below add up past the config's 6 min on a loaded machine
  redis = await startRedis();
  const dataDir = join(tempDir('starling-cluster-'), 'data');
  const args = ['--redis', redis.url];
  // The first process takes the lease and opens the database; the second relays to it.
  const owner = await startServer(RUN, { dataDir, args });
  const other = await startServer(RUN, { dataDir, args, waitForData: false });
  servers = [owner, other];
  balancers = [await startBalancer([owner.port, other.port], 'failover'), await startBalancer([other.port, owner.port], 'failover')];
  const t0 = Date.now();
  for (let i = 0; i < 2 * PER_PROCESS; i++) {
    // --slowdown 2 leaves the two servers some of the two cores.
    peers.push(startHeadless(balancers[i < PER_PROCESS ? 0 : 1].url, `node${i}`, ['--backends', 'wasm', '--slowdown', '2']));
  }

  // Three peers per process; a graph over six peers always links across that split, so every
  // link open means offers and answers crossed between the processes through Redis. (An R-FAST
  // peer knows only the members it was told of: joins grow the graph and reach only the peers a
  // joiner is attached to, so the servers' lists, not the peers', must hold all six.)
  await waitFor('all six peers training with every link open, and both processes listing all six', 180_000, async () => {
    const ss = statuses();
    if (!ss || !ss.every((s) => s.phase === 'training' && s.neighboursOpen === s.neighboursWanted && s.neighboursWanted > 0 && s.framesReceived > 0)) return null;
    const [a, b] = await Promise.all([livePeers(owner), livePeers(other)]);
    return a?.length === 6 && b?.length === 6 ? true : null;
  }, 500);
  console.log(`six peers training across two processes ${((Date.now() - t0) / 1000).toFixed(1)} s after they started`);

  // Not a speed check, but the wait is long for a known cause: since R-FAST joins grow the graph
  // (2026-12-06) the six peers' step rates spread 10x (116-1,662 steps at this point, against
  // 200-425 each when every join started an epoch; one run with grows turned off: 300-341), and
  // this point took 156-242 s in CI instead of 86-167 s; one run timed out at 240 s with every
  // peer training at 0.891-0.922. A grown graph leaves the last joiners with 2 neighbours and the
  // first with 4, and in Node's WebRTC the frames a peer sends from its frame handler cost its
  // event loop about 2 ms each on this loaded machine, so the best-connected peers step least.
  // Fewer acknowledgements (core's candidateGapSteps) gave 124-177 s locally but 182-234 s in
  // CI, so no clear gain; see BENCHMARKS.md. Open in issue 13; the criterion is unchanged.
  const trained = await waitFor(`every peer's accuracy >= ${TARGET}`, 420_000, async () => {
    const ss = statuses();
    return ss && ss.every((s) => s.accuracy !== null && s.accuracy >= TARGET) ? ss : null;
  }, 1000);
  console.log(
    `all at >= ${TARGET} after ${((Date.now() - t0) / 1000).toFixed(1)} s (load average ${loadavg()[0].toFixed(1)}): ` +
      trained.map((s, i) => `node${i} ${s.accuracy!.toFixed(3)} (${s.steps} steps, ${s.stepsPerSec.toFixed(1)}/s, compute ${s.computeShare === null ? '?' : `${Math.round(s.computeShare * 100)}%`})`).join(', '),
  );
  for (const s of trained) expect(s.framesRejected).toBe(0);
  // Every epoch and grow reached each peer in order, through Redis for the second process's peers
  // (a lost or reordered one makes the peer join again and count a gap).
  for (const s of trained) expect(s.epochGaps).toBe(0);

  // The history so far, read through the process that does not own the run (it forwards the API).
  const metricsPath = pathTo('metrics', { runId: RUN.runId! });
  const evaluationsPath = pathTo('evaluations', { runId: RUN.runId! });
  const before = {
    metrics: (await getJson<MetricsResponse>(other.url + metricsPath)).points,
    evaluations: (await getJson<EvaluationsResponse>(other.url + evaluationsPath)).evaluations,
  };
  expect(before.metrics.length).toBeGreaterThan(0);
  expect(before.evaluations.length).toBeGreaterThan(0);
  const samplesBefore = Math.max(...before.metrics.map((p) => p.samples));
  const stepsAtKill = statuses()!.map((s) => s.steps);

  const killedAt = Date.now();
  await owner.kill();
  // The survivor owns the run once the dead owner's lease lapses; the dead process's three peers
  // reconnect through their balancer's spare, and everyone says hello again.
  await waitFor('the survivor to list six live peers again', 120_000, async () => ((await livePeers(other))?.length === 6 ? true : null), 500);
  expect(other.log()).toMatch(/owns the run now \(taking over\)/);
  const resumed = await waitFor(`every peer ${STEPS_AFTER} steps past the kill, training`, 120_000, async () => {
    const ss = statuses();
    return ss && ss.every((s, i) => s.phase === 'training' && s.steps >= stepsAtKill[i] + STEPS_AFTER) ? ss : null;
  }, 500);
  console.log(
    `after the kill: six live on the survivor and every peer ${STEPS_AFTER} steps on within ${((Date.now() - killedAt) / 1000).toFixed(1)} s; ` +
      resumed.map((s, i) => `node${i} ${s.startedFrom} acc ${s.accuracy?.toFixed(3)}`).join(', '),
  );
  // Peers keep their own models across the takeover, so nothing is unlearned.
  for (const s of resumed) expect(s.accuracy ?? 0, JSON.stringify(resumed.map((r) => r.accuracy))).toBeGreaterThanOrEqual(TARGET - 0.05);

  // No history lost: every metric point and evaluation from before is still served, and the
  // sample total went on from where it was.
  const after = await waitFor('a metric point recorded by the new owner', 60_000, async () => {
    const points = (await getJson<MetricsResponse>(other.url + metricsPath)).points;
    return points.some((p) => p.t > killedAt) ? points : null;
  }, 1000);
  const times = new Set(after.map((p) => p.t));
  expect(before.metrics.filter((p) => !times.has(p.t))).toEqual([]);
  expect(Math.max(...after.filter((p) => p.t > killedAt).map((p) => p.samples))).toBeGreaterThanOrEqual(samplesBefore);
  const evaluationsAfter = new Set((await getJson<EvaluationsResponse>(other.url + evaluationsPath)).evaluations.map(evalKey));
  expect(before.evaluations.filter((e) => !evaluationsAfter.has(evalKey(e)))).toEqual([]);
});
