/**
 * What churn does to the shape of an R-FAST graph that changes within its epoch (issue 13): joins
 * attach to the least-connected peers (core's attachJoiner), leaves chain the leaver's neighbours
 * (detachLeaver), and the named topology is never rebuilt. Starting from the exponential graph on
 * `lo` peers, random joins and leaves keep between `lo` and `hi` members; every 500 changes the
 * bench prints the degree range and the diameter of G_C against the exponential graph on the same
 * members. Topology only, no training; deterministic for a seed.
 *
 *   npx tsx apps/cli/src/bench-churn-graph.ts [--sizes 8-16,16-48,64-128] [--changes 2000] [--seed 12345]
 */
import { attachJoiner, buildTopology, detachLeaver, neighbourTable, Rng, type PeerId, type PeerNeighbours } from '@starling/core';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '8-16,16-48,64-128' },
    changes: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '12345' },
  },
});
const CHANGES = Number(values.changes);
const SEED = Number(values.seed);
if (!Number.isInteger(CHANGES) || CHANGES < 1) throw new Error(`--changes must be a whole number >= 1 (got ${values.changes})`);
if (!Number.isInteger(SEED)) throw new Error(`--seed must be a whole number (got ${values.seed})`);
const SIZES = values.sizes.split(',').map((r) => {
  const m = /^(\d+)-(\d+)$/.exec(r);
  if (m === null || Number(m[1]) < 1 || Number(m[2]) <= Number(m[1])) throw new Error(`--sizes: '${r}' is not LO-HI with 1 <= LO < HI`);
  return [Number(m[1]), Number(m[2])] as const;
});
const REPORT_EVERY = 500;

/** Longest shortest path along G_C (cOut), or Infinity when some member does not reach another. */
function diameter(t: ReadonlyMap<PeerId, PeerNeighbours>): number {
  let worst = 0;
  for (const s of t.keys()) {
    const dist = new Map<PeerId, number>([[s, 0]]);
    const queue = [s];
    for (let q = 0; q < queue.length; q++) {
      const u = queue[q];
      for (const v of t.get(u)!.cOut) {
        if (dist.has(v)) continue;
        dist.set(v, dist.get(u)! + 1);
        queue.push(v);
      }
    }
    if (dist.size < t.size) return Infinity;
    for (const d of dist.values()) worst = Math.max(worst, d);
  }
  return worst;
}

function row(range: string, after: string, t: ReadonlyMap<PeerId, PeerNeighbours>): string {
  const degrees = [...t.values()].map((n) => n.undirected.length);
  const mean = degrees.reduce((a, b) => a + b, 0) / degrees.length;
  const named = diameter(neighbourTable(buildTopology('exponential', [...t.keys()])));
  return `| ${range} | ${after} | ${t.size} | ${Math.min(...degrees)}-${Math.max(...degrees)} (mean ${mean.toFixed(1)}) | ${diameter(t)} | ${named} |`;
}

console.log(`Churn within the epoch, seed ${SEED}, ${CHANGES} changes per size range (command: npx tsx apps/cli/src/bench-churn-graph.ts --sizes ${values.sizes} --changes ${CHANGES} --seed ${SEED})\n`);
console.log('| members kept in | after | members | undirected degree | diameter of G_C | exponential graph on them |');
console.log('|---|---|---:|---|---:|---:|');
for (const [lo, hi] of SIZES) {
  const rng = new Rng(SEED);
  const table = neighbourTable(buildTopology('exponential', Array.from({ length: lo }, (_, i) => i)));
  let next = lo;
  const range = `${lo}-${hi}`;
  console.log(row(range, 'start', table));
  for (let e = 1; e <= CHANGES; e++) {
    const members = [...table.keys()];
    // A leave half the time, and always at the top of the range; never below its bottom.
    if (members.length > lo && (members.length >= hi || rng.next() < 0.5)) {
      const k = members[rng.int(members.length)];
      detachLeaver(table, k, members.filter((m) => m !== k));
    } else {
      attachJoiner(table, next, [...members, next]);
      next++;
    }
    if (e % REPORT_EVERY === 0 || e === CHANGES) console.log(row(range, `${e} changes`, table));
  }
}
