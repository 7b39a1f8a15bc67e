/**
 * Membership changes without a new epoch (issue 13). A joiner is attached to a few live peers,
 * both ways on both graphs, and no edge goes away; with no link removed no tracker mass in transit
 * is lost, so R-FAST needs no reset. A leaver is taken out and its neighbours are linked to each
 * other (detachLeaver); the mass it exchanged with each neighbour is then unwound by that
 * neighbour (RFast.grow), which restores the conservation law without a reset either
 * (algorithms.md 1.6 resets every tracker instead). Either way only the peers the change touches
 * hear of it: O(1) messages per change instead of one to every live peer.
 *
 * Every root of the graphs before stays a root: it reaches an attached peer p along G_R and p
 * reaches the joiner; the joiner reaches p along G_C and p reaches the root; a path through a
 * leaver goes along the chain of its neighbours instead. The named shape (exponential, ring,
 * k-out) is not kept. Star and tree runs, whose shape carries the step-size scale (algorithms.md
 * 1.1), keep a new epoch per change.
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

/**
 * Removes `leaver` from `table` within the epoch (R-FAST's departures: RFast.grow with `departed`)
 * and keeps every path through it: its undirected neighbours that are still in the table are
 * chained (ascending id) both ways on both graphs where they were not linked yet. Every path
 * a -> leaver -> b between two of them is replaced by a path along the chain, so every root of the
 * graphs before stays a root, while each neighbour gains at most two links for the one it lost (a
 * ring would close a loop the chain does not need). Only the leaver's neighbours change: each gets
 * a new entry with `members`. Returns, per neighbour, the peers it was newly linked to (possibly
 * none); an empty map when `leaver` was not in the table.
 */
export function detachLeaver(table: Map<PeerId, PeerNeighbours>, leaver: PeerId, members: PeerId[]): Map<PeerId, PeerId[]> {
  const gone = table.get(leaver);
  const gained = new Map<PeerId, PeerId[]>();
  if (gone === undefined) return gained;
  table.delete(leaver);
  const around = gone.undirected.filter((id) => table.has(id)).sort((a, b) => a - b);
  const next = new Map<PeerId, PeerNeighbours>();
  for (const p of around) {
    const n = table.get(p)!;
    const drop = (list: readonly PeerId[]) => list.filter((id) => id !== leaver);
    next.set(p, { rIn: drop(n.rIn), rOut: drop(n.rOut), cIn: drop(n.cIn), cOut: drop(n.cOut), undirected: drop(n.undirected), members });
    gained.set(p, []);
  }
  for (let i = 0; i + 1 < around.length; i++) {
    const a = around[i];
    const b = around[i + 1];
    const na = next.get(a)!;
    const nb = next.get(b)!;
    if (!na.undirected.includes(b)) {
      gained.get(a)!.push(b);
      gained.get(b)!.push(a);
    }
    const link = (n: PeerNeighbours, other: PeerId): PeerNeighbours => ({
      rIn: n.rIn.includes(other) ? n.rIn : insert(n.rIn, other),
      rOut: n.rOut.includes(other) ? n.rOut : insert(n.rOut, other),
      cIn: n.cIn.includes(other) ? n.cIn : insert(n.cIn, other),
      cOut: n.cOut.includes(other) ? n.cOut : insert(n.cOut, other),
      undirected: n.undirected.includes(other) ? n.undirected : insert(n.undirected, other),
      members,
    });
    next.set(a, link(na, b));
    next.set(b, link(nb, a));
  }
  for (const [p, n] of next) table.set(p, n);
  return gained;
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
