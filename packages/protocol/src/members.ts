import type { PeerId } from '@starling/core';
import type { EpochPayload, GrowPayload, MembersChange } from './server-payloads';

/** What an epoch's member change does to the list a peer holds. */
export type MembersResult =
  /** The new list (ascending). */
  | { kind: 'members'; members: PeerId[] }
  /** An epoch at or before the one held (it came with or before the welcome): nothing to do. */
  | { kind: 'stale' }
  /** An epoch was missed: the list cannot be rebuilt; the peer must join again for a full one. */
  | { kind: 'gap' };

/** The list after `e`, given the list a peer holds for `epoch`. */
export function applyMembersChange(members: readonly PeerId[], epoch: number, e: Pick<EpochPayload, 'epoch' | 'change'>): MembersResult {
  if (e.epoch <= epoch) return { kind: 'stale' };
  if (e.change.base !== epoch) return { kind: 'gap' };
  // Sets, not list scans: a batch of joins can add hundreds at once to a list of thousands.
  const removed = new Set(e.change.removed);
  const next = new Set(members.filter((m) => !removed.has(m)));
  for (const a of e.change.added) next.add(a);
  return { kind: 'members', members: [...next].sort((a, b) => a - b) };
}

/**
 * The list after a grow of epoch `epoch` (GrowPayload: joiners in, leavers out), given the
 * `grows` of that epoch the list already holds: 'stale' for news of an older epoch or a grow already applied, 'gap'
 * for news of a newer epoch (its epoch's own news was lost) or a grow past the next one (one was
 * lost: its joiners are missing from the list, and the lists of later grows do not name them all).
 */
export function applyGrowth(members: readonly PeerId[], epoch: number, grows: number, g: Pick<GrowPayload, 'epoch' | 'seq' | 'added' | 'removed'>): MembersResult {
  if (g.epoch < epoch) return { kind: 'stale' };
  if (g.epoch > epoch) return { kind: 'gap' };
  if (g.seq <= grows) return { kind: 'stale' };
  if (g.seq > grows + 1) return { kind: 'gap' };
  const next = new Set(members);
  for (const a of g.added) next.add(a);
  for (const r of g.removed) next.delete(r);
  return { kind: 'members', members: [...next].sort((a, b) => a - b) };
}

/** The change from one member list to the next (both ascending or not: order is ignored). */
export function membersChange(base: number, before: readonly PeerId[], after: readonly PeerId[]): MembersChange {
  const was = new Set(before);
  const is = new Set(after);
  return { base, added: after.filter((m) => !was.has(m)), removed: before.filter((m) => !is.has(m)) };
}
