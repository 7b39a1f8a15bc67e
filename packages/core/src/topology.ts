/**
 * The two graphs R-FAST runs on (section 1.1 of docs/algorithms.md): G_R, along which peers pull
 * models, and G_C, along which they push tracker mass. Both are built over the *sorted* member list
 * by position, so peer ids may be arbitrary (non-contiguous after joins and leaves).
 *
 * Edge convention: `rOut.get(j)` contains i iff i pulls v_j from j (j -> i on G_R);
 * `cOut.get(i)` contains k iff i pushes mass to k (i -> k on G_C).
 */
import type { PeerId, PeerNeighbours } from './contract';
import { TopologyError } from './errors';
import { Rng } from './rng';
import { assertCommonRoot } from './topology-check';

export { assertCommonRoot, commonRoots } from './topology-check';

export type TopologyKind = 'exponential' | 'ring' | 'kout' | 'star' | 'tree';

export interface Topology {
  kind: TopologyKind | 'custom';
  /** Live peers, ascending. */
  members: PeerId[];
  /** G_R out-edges: j -> peers that pull from j. */
  rOut: Map<PeerId, PeerId[]>;
  /** G_C out-edges: i -> peers i pushes tracker mass to. */
  cOut: Map<PeerId, PeerId[]>;
}

export interface TopologyOptions {
  /** kout: random out-edges per peer on top of the ring. */
  k?: number;
  /** kout: seed of the random edges. */
  seed?: number;
  /** star, tree: the common root (default: the smallest member). */
  root?: PeerId;
  /** tree: children per node of the G_R tree; G_C uses branching + 1 over the reversed order. */
  branching?: number;
}

/** Defaults of the topology builders (the only tunables of this module). */
export const TOPOLOGY_DEFAULTS = {
  /** Extra random out-edges per peer for 'kout'; with the ring edge the out-degree is 3. */
  k: 2,
  seed: 1,
  /** Children per node of the G_R tree for 'tree'. */
  branching: 2,
} as const;

/** Position-indexed directed edge list [from, to]. */
type PosEdges = [number, number][];

export function buildTopology(kind: TopologyKind, members: readonly PeerId[], opts: TopologyOptions = {}): Topology {
  const sorted = sortedMembers(members);
  const n = sorted.length;
  let r: PosEdges;
  let c: PosEdges;
  switch (kind) {
    case 'exponential':
      r = c = exponentialEdges(n);
      break;
    case 'ring':
      r = c = ringEdges(n);
      break;
    case 'kout':
      r = c = koutEdges(n, opts.k ?? TOPOLOGY_DEFAULTS.k, opts.seed ?? TOPOLOGY_DEFAULTS.seed);
      break;
    case 'star': {
      const root = rootPosition(sorted, opts.root);
      r = [];
      c = [];
      for (let i = 0; i < n; i++) {
        if (i === root) continue;
        r.push([root, i]);
        c.push([i, root]);
      }
      break;
    }
    case 'tree':
      [r, c] = treeEdges(n, rootPosition(sorted, opts.root), opts.branching ?? TOPOLOGY_DEFAULTS.branching);
      break;
    default:
      throw new TopologyError(`unknown topology kind '${String(kind)}'; expected exponential, ring, kout, star or tree`);
  }
  const t: Topology = {
    kind,
    members: sorted,
    rOut: adjacency(sorted, r.map(([a, b]) => [sorted[a], sorted[b]])),
    cOut: adjacency(sorted, c.map(([a, b]) => [sorted[a], sorted[b]])),
  };
  assertCommonRoot(t);
  return t;
}

/** A topology from explicit edge lists [from, to] (G_R: from -> puller; G_C: pusher -> to). */
export function topologyFromEdges(
  members: readonly PeerId[],
  rEdges: readonly (readonly [PeerId, PeerId])[],
  cEdges: readonly (readonly [PeerId, PeerId])[],
): Topology {
  const sorted = sortedMembers(members);
  const t: Topology = { kind: 'custom', members: sorted, rOut: adjacencyUnchecked(rEdges), cOut: adjacencyUnchecked(cEdges) };
  for (const m of sorted) {
    if (!t.rOut.has(m)) t.rOut.set(m, []);
    if (!t.cOut.has(m)) t.cOut.set(m, []);
  }
  assertCommonRoot(t); // reports unknown ids, self-loops and duplicate edges too
  return t;
}

/** Neighbour lists of one peer, every list ascending. */
export function neighboursOf(t: Topology, id: PeerId): PeerNeighbours {
  if (!t.members.includes(id)) {
    throw new TopologyError(`peer ${id} is not a member of this topology (members: ${t.members.join(', ')})`);
  }
  return neighbourTable(t).get(id)!;
}

/**
 * Every member's neighbour lists at once, in O(members + edges): what a caller that needs them for
 * all members (the server on every join and leave, the simulator) should use rather than
 * `neighboursOf` per member. In-lists come out ascending; one `members` array is shared by every
 * entry.
 */
export function neighbourTable(t: Topology): Map<PeerId, PeerNeighbours> {
  const rIn = new Map<PeerId, PeerId[]>(t.members.map((m) => [m, []]));
  const cIn = new Map<PeerId, PeerId[]>(t.members.map((m) => [m, []]));
  // Members ascending, so every in-list comes out ascending, as neighboursOf builds it.
  for (const j of t.members) {
    for (const to of t.rOut.get(j) ?? []) rIn.get(to)?.push(j);
    for (const to of t.cOut.get(j) ?? []) cIn.get(to)?.push(j);
  }
  const members = t.members.slice();
  const table = new Map<PeerId, PeerNeighbours>();
  for (const id of t.members) {
    const rOut = ascending(t.rOut.get(id) ?? []);
    const undirected = ascending([...new Set([...rIn.get(id)!, ...rOut])]);
    table.set(id, { rIn: rIn.get(id)!, rOut, cIn: cIn.get(id)!, cOut: ascending(t.cOut.get(id) ?? []), undirected, members });
  }
  return table;
}

function sortedMembers(members: readonly PeerId[]): PeerId[] {
  if (members.length === 0) throw new TopologyError('a topology needs at least one member');
  const sorted = ascending(members);
  for (let i = 0; i < sorted.length; i++) {
    if (!Number.isSafeInteger(sorted[i]) || sorted[i] < 0) {
      throw new TopologyError(`peer ids must be non-negative integers, got ${sorted[i]}`);
    }
    if (i > 0 && sorted[i] === sorted[i - 1]) throw new TopologyError(`peer ${sorted[i]} is listed twice in members`);
  }
  return sorted;
}

function ascending(a: readonly PeerId[]): PeerId[] {
  return a.slice().sort((x, y) => x - y);
}

function rootPosition(sorted: readonly PeerId[], root: PeerId | undefined): number {
  if (root === undefined) return 0;
  const pos = sorted.indexOf(root);
  if (pos < 0) throw new TopologyError(`root ${root} is not a member (members: ${sorted.join(', ')})`);
  return pos;
}

/** Every member gets an entry, lists ascending. Builders produce no duplicates by construction. */
function adjacency(sorted: readonly PeerId[], edges: [PeerId, PeerId][]): Map<PeerId, PeerId[]> {
  const m = new Map<PeerId, PeerId[]>();
  for (const id of sorted) m.set(id, []);
  for (const [a, b] of edges) m.get(a)!.push(b);
  for (const list of m.values()) list.sort((x, y) => x - y);
  return m;
}

/** Keeps whatever it is given (unknown ids, loops, duplicates) so that validation can name them. */
function adjacencyUnchecked(edges: readonly (readonly [PeerId, PeerId])[]): Map<PeerId, PeerId[]> {
  const m = new Map<PeerId, PeerId[]>();
  for (const [a, b] of edges) {
    const list = m.get(a);
    if (list) list.push(b);
    else m.set(a, [b]);
  }
  for (const list of m.values()) list.sort((x, y) => x - y);
  return m;
}

/** i -> i + 2^m mod n for m = 0..floor(log2(n-1)): strongly connected, diameter log2 n. */
function exponentialEdges(n: number): PosEdges {
  const e: PosEdges = [];
  for (let i = 0; i < n; i++) {
    for (let hop = 1; hop <= n - 1; hop *= 2) e.push([i, (i + hop) % n]);
  }
  return e;
}

function ringEdges(n: number): PosEdges {
  const e: PosEdges = [];
  if (n < 2) return e;
  for (let i = 0; i < n; i++) e.push([i, (i + 1) % n]);
  return e;
}

/** The ring (for strong connectivity) plus up to k distinct random chords per peer. */
function koutEdges(n: number, k: number, seed: number): PosEdges {
  if (!Number.isInteger(k) || k < 0) throw new TopologyError(`kout needs a non-negative integer k, got ${k}`);
  const rng = new Rng(seed);
  const e = ringEdges(n);
  for (let i = 0; i < n; i++) {
    const candidates: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i && j !== (i + 1) % n) candidates.push(j);
    for (const j of rng.sample(candidates, k)) e.push([i, j]);
  }
  return e;
}

/**
 * G_R: a `branching`-ary tree over [root, others ascending], parent -> child.
 * G_C: a (branching + 1)-ary tree over [root, others descending], child -> parent. Two different
 * spanning trees that share the root, the least connected case R-FAST allows.
 */
function treeEdges(n: number, root: number, branching: number): [PosEdges, PosEdges] {
  if (!Number.isInteger(branching) || branching < 1) {
    throw new TopologyError(`tree needs an integer branching >= 1, got ${branching}`);
  }
  const others: number[] = [];
  for (let i = 0; i < n; i++) if (i !== root) others.push(i);
  const rOrder = [root, ...others];
  const cOrder = [root, ...others.reverse()];
  const r: PosEdges = [];
  const c: PosEdges = [];
  for (let q = 1; q < n; q++) {
    r.push([rOrder[Math.floor((q - 1) / branching)], rOrder[q]]);
    c.push([cOrder[q], cOrder[Math.floor((q - 1) / (branching + 1))]]);
  }
  return [r, c];
}
