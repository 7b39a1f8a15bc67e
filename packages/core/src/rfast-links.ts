/**
 * Per-neighbour buffers of R-FAST (section 1.2 of docs/algorithms.md), rebuilt on every epoch.
 * Each in-link remembers the newest seq it holds per block, so the receive rule
 * "keep only the newest message per (sender, kind, block)" is one comparison.
 */
import type { PeerId, PeerNeighbours } from './contract';
import { blockEnd, blockStart, type BlockLayout } from './blocks';
import { TopologyError } from './errors';

/** G_R in-neighbour j: the newest v_j received, block by block. */
export interface PullLink {
  readonly id: PeerId;
  readonly vhat: Float32Array;
  /** Newest seq held per block; 0 = nothing received yet (senders start at seq 1). */
  readonly seq: Float64Array;
}

/** G_C in-neighbour j: the newest running sum received from j, and the part already consumed. */
export interface MassInLink {
  readonly id: PeerId;
  readonly rhoNew: Float64Array;
  readonly rhoTilde: Float64Array;
  readonly seq: Float64Array;
  /** 1 where rhoNew changed since it was last consumed: lets step 3 skip untouched blocks. */
  readonly fresh: Uint8Array;
}

/** One subarray view per block, made once so sending allocates no model-sized buffer. */
export function blockViews<T extends Float32Array | Float64Array>(layout: BlockLayout, buf: T): T[] {
  const views: T[] = [];
  for (let b = 0; b < layout.count; b++) views.push(buf.subarray(blockStart(layout, b), blockEnd(layout, b)) as T);
  return views;
}

/**
 * Pull links for a new neighbour list. A neighbour we already pulled from keeps its last v (still a
 * valid recent model); a new one starts at our own x so it does not drag the mix anywhere.
 */
export function makePullLinks(ids: readonly PeerId[], layout: BlockLayout, old: readonly PullLink[], x: Float32Array): PullLink[] {
  return ids.map((id) => {
    const kept = old.find((l) => l.id === id);
    return { id, vhat: kept ? kept.vhat : x.slice(), seq: new Float64Array(layout.count) };
  });
}

export function makeMassInLinks(ids: readonly PeerId[], layout: BlockLayout): MassInLink[] {
  return ids.map((id) => ({
    id,
    rhoNew: new Float64Array(layout.dim),
    rhoTilde: new Float64Array(layout.dim),
    seq: new Float64Array(layout.count),
    fresh: new Uint8Array(layout.count),
  }));
}

/** Position of each link's peer, for O(1) sender lookup on receive. */
export function indexById(links: readonly { id: PeerId }[]): Map<PeerId, number> {
  return new Map(links.map((l, i) => [l.id, i] as const));
}

/** Refuses neighbour lists a step could not use: non-integer ids, self-loops, duplicates. */
export function validateNeighbours(self: PeerId, nb: PeerNeighbours): void {
  for (const [name, list] of [['rIn', nb.rIn], ['rOut', nb.rOut], ['cIn', nb.cIn], ['cOut', nb.cOut]] as const) {
    if (!Array.isArray(list)) throw new TopologyError(`neighbours.${name} of peer ${self} must be an array of peer ids`);
    const seen = new Set<PeerId>();
    for (const id of list) {
      if (!Number.isSafeInteger(id) || id < 0) {
        throw new TopologyError(`neighbours.${name} of peer ${self} holds ${String(id)}, not a peer id`);
      }
      if (id === self) throw new TopologyError(`neighbours.${name} of peer ${self} lists the peer itself`);
      if (seen.has(id)) throw new TopologyError(`neighbours.${name} of peer ${self} lists peer ${id} twice`);
      seen.add(id);
    }
  }
}
