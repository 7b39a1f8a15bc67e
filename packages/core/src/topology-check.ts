/**
 * Validation of a Topology: well-formed edge lists, and the R-FAST requirement that some peer r is
 * a root of both graphs (r reaches every peer along G_R, every peer reaches r along G_C).
 * Without such a root the tracker mass or the model cannot get everywhere and the run cannot
 * converge, so a bad topology is refused up front with a message that names the problem.
 */
import type { PeerId } from './contract';
import { TopologyError } from './errors';
import type { Topology } from './topology';

/**
 * Peers r that reach all members along G_R and that all members reach along G_C, ascending.
 *
 * In O(members + edges), since the server checks this on every join and leave (a search from every
 * member made it 63% of the server's time at 500 joining clients, BENCHMARKS.md section 4). The
 * roots of a graph, when it has any, are one strongly connected component, and the member a
 * depth-first search of the whole graph finishes last lies in a source component, so it is a root
 * if any member is. Given one root r, the roots are exactly the members that reach r.
 */
export function commonRoots(t: Topology): PeerId[] {
  const rRoots = rootsOf(t.members, t.rOut, reverse(t.rOut));
  if (rRoots.size === 0) return [];
  // Every member reaches r along G_C  <=>  r reaches every member along G_C reversed.
  const cIn = reverse(t.cOut);
  const cRoots = rootsOf(t.members, cIn, t.cOut);
  return t.members.filter((m) => rRoots.has(m) && cRoots.has(m));
}

/** The members that reach every member along `out` (empty when none does); `inn` is `out` reversed. */
function rootsOf(members: readonly PeerId[], out: ReadonlyMap<PeerId, readonly PeerId[]>, inn: ReadonlyMap<PeerId, readonly PeerId[]>): Set<PeerId> {
  if (members.length === 0) return new Set();
  const candidate = lastFinished(members, out);
  if (missing(members, reach(out, candidate)).length > 0) return new Set();
  return reach(inn, candidate);
}

/** The member a depth-first search over all of `members` (in order) finishes last; iterative. */
function lastFinished(members: readonly PeerId[], out: ReadonlyMap<PeerId, readonly PeerId[]>): PeerId {
  const seen = new Set<PeerId>();
  let last = members[0];
  const nodes: PeerId[] = [];
  const next: number[] = [];
  for (const start of members) {
    if (seen.has(start)) continue;
    seen.add(start);
    nodes.push(start);
    next.push(0);
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const tos = out.get(nodes[top]) ?? [];
      if (next[top] < tos.length) {
        const to = tos[next[top]++];
        if (!seen.has(to)) {
          seen.add(to);
          nodes.push(to);
          next.push(0);
        }
      } else {
        last = nodes.pop()!;
        next.pop();
      }
    }
  }
  return last;
}

/** Throws a TopologyError naming every structural problem, or the missing common root. */
export function assertCommonRoot(t: Topology): void {
  const problems = structuralProblems(t);
  if (problems.length > 0) throw new TopologyError(`invalid topology: ${problems.join('; ')}`);
  if (commonRoots(t).length > 0) return;
  throw new TopologyError(
    `no common root: R-FAST needs a peer that reaches every peer along G_R (model pulls) and that ` +
      `every peer reaches along G_C (tracker pushes). ${rootDiagnosis(t)}. Use a strongly connected ` +
      `graph for both (exponential, ring, kout) or a star/tree pair with the same root.`,
  );
}

function structuralProblems(t: Topology): string[] {
  const problems: string[] = [];
  const members = new Set<PeerId>();
  if (t.members.length === 0) problems.push('no members');
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    if (!Number.isSafeInteger(m) || m < 0) problems.push(`member ${m} is not a non-negative integer id`);
    if (members.has(m)) problems.push(`member ${m} is listed twice`);
    if (i > 0 && m < t.members[i - 1]) problems.push(`members are not ascending at ${m}`);
    members.add(m);
  }
  for (const [name, graph] of [['G_R', t.rOut], ['G_C', t.cOut]] as const) {
    for (const [from, tos] of graph) {
      if (!members.has(from)) problems.push(`${name} has out-edges of unknown peer ${from}`);
      const seen = new Set<PeerId>();
      for (const to of tos) {
        if (to === from) problems.push(`${name} has a self-loop at ${from}`);
        else if (!members.has(to)) problems.push(`${name} edge ${from} -> ${to} names unknown peer ${to}`);
        if (seen.has(to)) problems.push(`${name} has the edge ${from} -> ${to} twice`);
        seen.add(to);
      }
    }
  }
  return problems;
}

/** Says which graph lacks a root, or why the roots of the two graphs do not meet. */
function rootDiagnosis(t: Topology): string {
  const cIn = reverse(t.cOut);
  const rReach = new Map(t.members.map((m) => [m, reach(t.rOut, m)] as const));
  const cReach = new Map(t.members.map((m) => [m, reach(cIn, m)] as const));
  const rRoots = t.members.filter((m) => missing(t.members, rReach.get(m)!).length === 0);
  const cRoots = t.members.filter((m) => missing(t.members, cReach.get(m)!).length === 0);
  const parts: string[] = [];
  if (rRoots.length === 0) {
    const best = argmax(t.members, (m) => rReach.get(m)!.size);
    parts.push(`G_R has no root: even from peer ${best}, peers ${ids(missing(t.members, rReach.get(best)!))} are unreachable`);
  }
  if (cRoots.length === 0) {
    const best = argmax(t.members, (m) => cReach.get(m)!.size);
    parts.push(`G_C has no root: even to peer ${best}, peers ${ids(missing(t.members, cReach.get(best)!))} cannot push`);
  }
  if (parts.length === 0) {
    const r = rRoots[0];
    parts.push(
      `G_R roots [${ids(rRoots)}] and G_C roots [${ids(cRoots)}] share no peer ` +
        `(e.g. peers ${ids(missing(t.members, cReach.get(r)!))} cannot push mass to G_R root ${r})`,
    );
  }
  return parts.join('; ');
}

/** Peers reachable from `start` along `out` (members only; unknown ids are ignored). */
function reach(out: ReadonlyMap<PeerId, readonly PeerId[]>, start: PeerId): Set<PeerId> {
  const seen = new Set<PeerId>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const next of out.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

function reverse(out: ReadonlyMap<PeerId, readonly PeerId[]>): Map<PeerId, PeerId[]> {
  const rev = new Map<PeerId, PeerId[]>();
  for (const [from, tos] of out) {
    for (const to of tos) {
      const list = rev.get(to);
      if (list) list.push(from);
      else rev.set(to, [from]);
    }
  }
  return rev;
}

function missing(members: readonly PeerId[], got: ReadonlySet<PeerId>): PeerId[] {
  return members.filter((m) => !got.has(m));
}

function argmax(members: readonly PeerId[], score: (m: PeerId) => number): PeerId {
  let best = members[0];
  for (const m of members) if (score(m) > score(best)) best = m;
  return best;
}

/** At most 10 ids, so a 1000-peer topology still gives a readable message. */
function ids(list: readonly PeerId[]): string {
  const shown = list.slice(0, 10).join(', ');
  return list.length > 10 ? `${shown}, ... (${list.length} in all)` : shown;
}
