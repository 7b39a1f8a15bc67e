/**
 * Measurements of the live peers at one instant: objective and error against the exact optimum,
 * distance to consensus, traffic totals and, for algorithms that track versions, version age.
 */
import type { Algorithm } from '@starling/core';
import { distance, norm } from './linalg';
import type { PeerRuntime, PeerTable } from './peers';
import type { MemberObjective } from './problems';
import type { AgeSummary, PeerSeries, SimRecord } from './types';

/**
 * Algorithms that keep a version vector (gossip local SGD): versions()[j] is the newest version of
 * peer j mixed into this peer's model, and versions()[self] is the peer's own version count.
 * Detected at run time, so the simulator needs no knowledge of the concrete class.
 */
interface Versioned {
  versions(): Float64Array;
}

function versionsOf(a: Algorithm): Float64Array | null {
  return typeof (a as Partial<Versioned>).versions === 'function' ? (a as Algorithm & Versioned).versions() : null;
}

/**
 * True version ages (staleness, arXiv 2404.19749): the age of j at i is j's own version count minus
 * the newest version of j mixed into x_i. The simulator sees every peer, so unlike a peer's own
 * estimate this is exact. Writes ages of the other live peers at `at` into `out`; returns the count,
 * or -1 when the algorithm keeps no versions.
 */
export function agesAt(at: PeerRuntime, live: readonly PeerRuntime[], out: Float64Array): number {
  const vv = versionsOf(at.algo);
  if (vv === null) return -1;
  let k = 0;
  for (const p of live) {
    if (p === at) continue;
    const own = versionsOf(p.algo);
    if (own === null) continue;
    // Clamped: a peer that rejoined restarts its count below versions others mixed from its past life.
    out[k++] = Math.max(0, (own[p.id] ?? 0) - (vv[p.id] ?? 0));
  }
  return k;
}

/** Mean / p95 / max of the first `count` entries (sorted in place); null when empty. */
export function summariseAges(ages: Float64Array, count: number): AgeSummary | null {
  if (count <= 0) return null;
  const v = ages.subarray(0, count).sort();
  let sum = 0;
  for (let i = 0; i < count; i++) sum += v[i];
  return { mean: sum / count, p95: v[Math.ceil(0.95 * count) - 1], max: v[count - 1] };
}

/** Steps and blocked time (up to `now`, open waits included) summed over peers. */
export function stepTotals(peers: readonly PeerRuntime[], now: number): { steps: number; blockedTime: number } {
  let steps = 0;
  let blockedTime = 0;
  for (const p of peers) {
    steps += p.steps;
    blockedTime += p.blockedUntil(now);
  }
  return { steps, blockedTime };
}

function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

/**
 * One record. `all` is every peer that ever existed (for step totals), `live` the current members;
 * `xbar` is scratch space of the model's length.
 */
export function measure(
  now: number,
  epoch: number,
  all: readonly PeerRuntime[],
  live: readonly PeerRuntime[],
  table: PeerTable,
  obj: MemberObjective,
  perPeer: boolean,
  xbar: Float64Array,
): SimRecord {
  const d = xbar.length;
  const n = live.length;
  xbar.fill(0);
  for (const p of live) {
    const x = p.algo.model();
    for (let j = 0; j < d; j++) xbar[j] += x[j];
  }
  const inv = 1 / n;
  for (let j = 0; j < d; j++) xbar[j] *= inv;

  const xsNorm = norm(obj.optimum);
  const scale = xsNorm > 0 ? 1 / xsNorm : 1;
  const series = perPeer ? emptySeries(table.size) : undefined;
  // All ordered pairs of live peers; allocated only for versioned algorithms.
  const ages: Float64Array | null = versionsOf(live[0].algo) !== null ? new Float64Array(n * Math.max(0, n - 1)) : null;
  let ageCount = 0;
  let errSum = 0;
  let errMax = 0;
  let cons = 0;
  for (const p of live) {
    const x = p.algo.model();
    const e = distance(x, obj.optimum) * scale;
    const c = distance(x, xbar);
    errSum += e;
    errMax = Math.max(errMax, e); // propagates NaN: a diverged peer must show
    cons += c;
    const k = ages !== null ? agesAt(p, live, ages.subarray(ageCount)) : -1;
    if (series) {
      series.relError[p.id] = e;
      series.consensus[p.id] = c;
      series.objective[p.id] = obj.value(x);
      if (k >= 0) {
        if (!series.versionAge) series.versionAge = nanArray(table.size);
        series.versionAge[p.id] = k > 0 ? mean(ages as Float64Array, ageCount, k) : 0;
      }
    }
    if (k > 0) ageCount += k;
  }
  if (series) {
    for (const p of all) {
      const id = p.id;
      series.steps[id] = p.steps;
      series.blockedTime[id] = p.blockedUntil(now);
      series.messagesSent[id] = table.sent[id];
      series.bytesSent[id] = table.bytesSent[id];
      series.messagesDelivered[id] = table.delivered[id];
      series.messagesDropped[id] = table.dropped[id];
    }
  }

  const tr = table.totals();
  const { steps, blockedTime } = stepTotals(all, now);
  const objective = obj.value(xbar);
  const rec: SimRecord = {
    time: now,
    epoch,
    live: n,
    objective,
    gap: objective - obj.optimalValue,
    relError: distance(xbar, obj.optimum) * scale,
    relErrorMean: errSum * inv,
    relErrorMax: errMax,
    consensus: cons * inv,
    steps,
    blockedTime,
    messagesSent: tr.messagesSent,
    messagesDelivered: tr.messagesDelivered,
    messagesDropped: tr.messagesDropped,
    messagesSkipped: tr.messagesSkipped,
    messagesDiscarded: tr.messagesDiscarded,
    bytesSent: tr.bytesSent,
    bytesDelivered: tr.bytesDelivered,
  };
  const age = ages !== null ? summariseAges(ages, ageCount) : null;
  if (age !== null) rec.versionAge = age;
  const transit = massInTransit(live, xbar);
  if (transit !== null) rec.massInTransit = transit;
  if (series) rec.peers = series;
  return rec;
}

/**
 * The mass in transit of tracker algorithms (R-FAST): sum_i g_i - sum_i z_i is exactly the tracker
 * mass that is in no z (section 1.4); reported as its L1 norm over the total L1 mass of the latest
 * gradients, sum_i ||g_i||_1 (the sum of the gradients itself vanishes at a heterogeneous optimum).
 * Null for other algorithms. `scratch` (model-sized) is overwritten.
 */
export function massInTransit(live: readonly PeerRuntime[], scratch: Float64Array): number | null {
  if (live.length === 0 || typeof live[0].algo.tracker !== 'function') return null;
  const d = scratch.length;
  scratch.fill(0);
  let den = 0;
  for (const p of live) {
    const tr = p.algo.tracker?.();
    if (tr === undefined) return null;
    for (let t = 0; t < d; t++) {
      scratch[t] += tr.g[t] - tr.z[t];
      den += Math.abs(tr.g[t]);
    }
  }
  let num = 0;
  for (let t = 0; t < d; t++) num += Math.abs(scratch[t]);
  return den > 0 ? num / den : 0;
}

function emptySeries(size: number): PeerSeries {
  return {
    relError: nanArray(size),
    objective: nanArray(size),
    consensus: nanArray(size),
    steps: nanArray(size),
    blockedTime: nanArray(size),
    messagesSent: nanArray(size),
    bytesSent: nanArray(size),
    messagesDelivered: nanArray(size),
    messagesDropped: nanArray(size),
  };
}

function mean(a: Float64Array, from: number, count: number): number {
  let s = 0;
  for (let i = from; i < from + count; i++) s += a[i];
  return s / count;
}
