/**
 * The simulator's coordinator role: checks the join/leave schedule up front, builds the topology of
 * each epoch over the live members, and picks whose model a joiner copies.
 */
import { assertCommonRoot, buildTopology, type PeerId, type PeerNeighbours, type Topology } from '@starling/core';
import { SimConfigError } from './errors';
import type { MembershipChange, TopologySpec } from './types';

/**
 * Returns the schedule sorted by time (stable) after replaying it: every leaver must be alive,
 * every joiner not alive, and at least one peer must stay. Also returns the id space (max id + 1).
 */
export function checkSchedule(n: number, changes: readonly MembershipChange[]): { schedule: MembershipChange[]; idSpace: number } {
  const schedule = changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.time - b.c.time || a.i - b.i)
    .map(({ c }) => c);
  const live = new Set<PeerId>();
  for (let i = 0; i < n; i++) live.add(i);
  let idSpace = n;
  for (const c of schedule) {
    if (!(c.time >= 0) || !Number.isFinite(c.time)) {
      throw new SimConfigError(`membership change time must be a finite number >= 0, got ${c.time}`);
    }
    for (const id of c.leave ?? []) {
      if (!live.delete(id)) throw new SimConfigError(`membership at t=${c.time}: peer ${id} leaves but is not alive then`);
    }
    for (const id of c.join ?? []) {
      if (!Number.isSafeInteger(id) || id < 0) throw new SimConfigError(`membership at t=${c.time}: joiner id ${id} is not a non-negative integer`);
      if (live.has(id)) throw new SimConfigError(`membership at t=${c.time}: peer ${id} joins but is already alive`);
      live.add(id);
      idSpace = Math.max(idSpace, id + 1);
    }
    if (live.size === 0) throw new SimConfigError(`membership at t=${c.time}: every peer would have left; keep at least one`);
  }
  return { schedule, idSpace };
}

/** The topology of one epoch. Custom graphs are validated here, since `build` may skip it. */
export function topologyFor(spec: TopologySpec, members: readonly PeerId[]): Topology {
  if (spec.kind === 'custom') {
    const t = spec.build(members);
    assertCommonRoot(t);
    return t;
  }
  return buildTopology(spec.kind, members, spec.options);
}

/**
 * Whose model a joiner copies: a peer it pulls from on G_R, else any neighbour, else any peer that
 * was already live (never another joiner, whose model is still x0). Undefined when none exists.
 */
export function modelSource(nb: PeerNeighbours, established: ReadonlySet<PeerId>): PeerId | undefined {
  return (
    nb.rIn.find((j) => established.has(j)) ??
    nb.undirected.find((j) => established.has(j)) ??
    nb.members.find((j) => established.has(j))
  );
}
