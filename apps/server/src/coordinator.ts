import { buildTopology, neighbourTable, type PeerId, type PeerNeighbours, type TopologyOptions } from '@starling/core';
import { membersChange, type MembersChange, type RunConfig } from '@starling/protocol';

/**
 * Membership of one run, without sockets or clocks: who is live, which shard each peer trains on,
 * the topology over the live peers and its epoch. Every join or leave rebuilds the topology and
 * starts a new epoch (algorithms.md 1.6).
 */

/** A peer that must be told about a new epoch. */
export interface EpochUpdate {
  peerId: PeerId;
  epoch: number;
  neighbours: PeerNeighbours;
  /** Who joined and left since the previous epoch: one object shared by the epoch's updates. */
  change: MembersChange;
}

export type JoinResult =
  | { ok: true; peerId: PeerId; shard: number; epoch: number; neighbours: PeerNeighbours; updates: EpochUpdate[] }
  | RunFull;

export type AdmitOutcome = { ok: true; peerId: PeerId; shard: number } | RunFull;

interface RunFull {
  ok: false;
  code: 'run-full';
  message: string;
}

export interface LeaveResult {
  epoch: number;
  updates: EpochUpdate[];
}

export type CoordinatorConfig = Pick<RunConfig, 'topology' | 'shards' | 'maxPeers' | 'seed'>;

export class Coordinator {
  private nextId: PeerId;
  private currentEpoch = 0;
  /** Live peers and their shard, in join order. */
  private readonly shardOfPeer = new Map<PeerId, number>();
  private neighbourLists = new Map<PeerId, PeerNeighbours>();
  /** Peers admitted since the last epoch started. */
  private unsettled = false;

  /** `firstPeerId`: a resumed run continues after the ids it handed out before a restart. */
  constructor(
    private readonly config: CoordinatorConfig,
    firstPeerId: PeerId = 0,
  ) {
    this.nextId = firstPeerId;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** The id the next joiner gets; every id below it has been used. */
  get nextPeerId(): PeerId {
    return this.nextId;
  }

  /** Live peers, ascending. */
  members(): PeerId[] {
    return [...this.shardOfPeer.keys()].sort((a, b) => a - b);
  }

  has(id: PeerId): boolean {
    return this.shardOfPeer.has(id);
  }

  shardOf(id: PeerId): number | undefined {
    return this.shardOfPeer.get(id);
  }

  neighboursOf(id: PeerId): PeerNeighbours | undefined {
    return this.neighbourLists.get(id);
  }

  /**
   * Admit a new peer: a fresh id (ids are never reused, so late frames from a departed peer cannot
   * be mistaken for a newcomer's) and the least-used shard, without a new epoch yet: `settle()`
   * starts one for every admission since the last, so a burst of joins costs one epoch, not one
   * each (every epoch is a message to every live peer).
   */
  admit(): AdmitOutcome {
    if (this.shardOfPeer.size >= this.config.maxPeers) {
      return { ok: false, code: 'run-full', message: `the run already has ${this.config.maxPeers} peers (maxPeers)` };
    }
    const peerId = this.nextId++;
    const shard = this.leastUsedShard();
    this.shardOfPeer.set(peerId, shard);
    this.unsettled = true;
    return { ok: true, peerId, shard };
  }

  /** The epoch for the admissions since the last one (null when there were none). */
  settle(): LeaveResult | null {
    if (!this.unsettled) return null;
    return { updates: this.rebuild(), epoch: this.currentEpoch };
  }

  /** Admit and start the epoch at once; `updates` are for the other live peers. */
  join(): JoinResult {
    const a = this.admit();
    if (!a.ok) return a;
    const updates = this.settle()!.updates.filter((u) => u.peerId !== a.peerId);
    return { ...a, epoch: this.currentEpoch, neighbours: this.neighbourLists.get(a.peerId)!, updates };
  }

  /** Remove a live peer (left, disconnected or timed out); null if it was not live. Admissions not settled yet are settled with it. */
  leave(id: PeerId): LeaveResult | null {
    if (!this.shardOfPeer.delete(id)) return null;
    const updates = this.rebuild();
    return { epoch: this.currentEpoch, updates };
  }

  /**
   * Start the next epoch over the current members; every live peer is told (the epoch number tags
   * every data frame and all trackers reset together), each with its lists and the member change
   * against the previous epoch, which each of them was told about too.
   */
  private rebuild(): EpochUpdate[] {
    this.unsettled = false;
    const base = this.currentEpoch++;
    const previous = this.neighbourLists.values().next().value?.members ?? [];
    const members = this.members();
    const next = members.length > 0 ? neighbourTable(buildTopology(this.config.topology.kind, members, this.topologyOptions(members))) : new Map<PeerId, PeerNeighbours>();
    const change = membersChange(base, previous, members);
    const updates: EpochUpdate[] = [];
    for (const [id, lists] of next) updates.push({ peerId: id, epoch: this.currentEpoch, neighbours: lists, change });
    this.neighbourLists = next;
    return updates;
  }

  private topologyOptions(members: PeerId[]): TopologyOptions {
    const { k, root, branching } = this.config.topology;
    const opts: TopologyOptions = { seed: this.config.seed };
    if (k !== undefined) opts.k = k;
    if (branching !== undefined) opts.branching = branching;
    // A configured root that is not live (yet, or any more) falls back to the topology's default.
    if (root !== undefined && members.includes(root)) opts.root = root;
    return opts;
  }

  /** The shard fewest live peers train on; ties go to the lowest index. */
  private leastUsedShard(): number {
    const use = new Array<number>(this.config.shards.count).fill(0);
    for (const s of this.shardOfPeer.values()) use[s]++;
    let best = 0;
    for (let s = 1; s < use.length; s++) if (use[s] < use[best]) best = s;
    return best;
  }
}
