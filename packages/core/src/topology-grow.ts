/**
 * Joins without a new epoch (issue 13): a joiner is attached to a few live peers, both ways on both
 * graphs, and no edge goes away. With no link removed, no tracker mass in transit is lost, so R-FAST
 * needs no reset (algorithms.md 1.6 resets because a departure loses mass; a join loses none), and
 * only the peers the joiner is attached to hear of it: a join costs O(1) messages instead of one to
 * every live peer.
 *
 * Every root of the graphs before stays a root: it reaches an attached peer p along G_R and p
 * reaches the joiner; the joiner reaches p along G_C and p reaches the root. The named shape
 * (exponential, ring, k-out) is not kept: the next departure rebuilds it in a new epoch. Star and
 * tree runs, whose shape carries the step-size scale (algorithms.md 1.1), keep a new epoch per join.
 */
import type { PeerId, PeerNeighbours } from './contract';
import { TopologyError } from './errors';
import type { Topology, TopologyKind } from './topology';

/** Tunables of growing joins. */
export const GROW_DEFAULTS = {
  /**
   * Live peers a joiner is attached to (fewer when the run has fewer). Two, both ways on both
   * graphs, give every joiner the out-degree 2 of the 4-peer exponential graph; the peers with
   * the fewest neighbours are picked, so degrees stay even as the run grows.
   */
  attach: 2,
} as const;

/** The topology kinds whose joins may grow the graph instead of rebuilding it. */
export const GROWABLE_KINDS: readonly TopologyKind[] = ['exponential', 'ring', 'kout'];

/**
 * Attaches `joiner` to the `attach` peers of `table` with the fewest undirected neighbours (ties:
 * the lowest id), both ways on G_R and G_C. Updates `table` in place with new entries for the
 * joiner and the peers it is attached to (entries are replaced, never mutated: lists already
 * handed out stay as they were); each new entry gets `members`. Returns the attached peers.
 */
export function attachJoiner(
  table: Map<PeerId, PeerNeighbours>,
  joiner: PeerId,
  members: PeerId[],
  attach: number = GROW_DEFAULTS.attach,
): PeerId[] {
  if (table.has(joiner)) throw new TopologyError(`peer ${joiner} is already in the topology`);
  if (!Number.isSafeInteger(joiner) || joiner < 0) throw new TopologyError(`peer ids must be non-negative integers, got ${joiner}`);
  const targets = fewestNeighbours(table, attach);
  for (const p of targets) {
    const n = table.get(p)!;
    table.set(p, {
      rIn: insert(n.rIn, joiner),
      rOut: insert(n.rOut, joiner),
      cIn: insert(n.cIn, joiner),
      cOut: insert(n.cOut, joiner),
      undirected: insert(n.undirected, joiner),
      members,
    });
  }
  table.set(joiner, { rIn: targets.slice(), rOut: targets.slice(), cIn: targets.slice(), cOut: targets.slice(), undirected: targets.slice(), members });
  return targets;
}

/** The table as a Topology (for the root check and the dashboard's edges). */
export function tableTopology(table: ReadonlyMap<PeerId, PeerNeighbours>): Topology {
  const members = [...table.keys()].sort((a, b) => a - b);
  return {
    kind: 'custom',
    members,
    rOut: new Map(members.map((m) => [m, table.get(m)!.rOut.slice()])),
    cOut: new Map(members.map((m) => [m, table.get(m)!.cOut.slice()])),
  };
}

/** Up to `count` ids of `table` with the shortest undirected lists, ascending. */
function fewestNeighbours(table: ReadonlyMap<PeerId, PeerNeighbours>, count: number): PeerId[] {
  const best: { id: PeerId; degree: number }[] = [];
  for (const [id, n] of table) {
    const degree = n.undirected.length;
    // Keep `best` sorted by (degree, id); count is small, so an insertion is cheap.
    let at = best.length;
    while (at > 0 && (best[at - 1].degree > degree || (best[at - 1].degree === degree && best[at - 1].id > id))) at--;
    if (at >= count) continue;
    best.splice(at, 0, { id, degree });
    if (best.length > count) best.pop();
  }
  return best.map((b) => b.id).sort((a, b) => a - b);
}

/** A copy of the ascending list with `id` in its place. */
function insert(list: readonly PeerId[], id: PeerId): PeerId[] {
  const out = list.slice();
  let at = out.length;
  while (at > 0 && out[at - 1] > id) at--;
  out.splice(at, 0, id);
  return out;
}
