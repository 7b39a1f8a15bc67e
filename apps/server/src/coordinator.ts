import {
  GROWABLE_KINDS,
  algorithmDescriptor,
  attachJoiner,
  buildTopology,
  detachLeaver,
  neighbourTable,
  type PeerId,
  type PeerNeighbours,
  type TopologyOptions,
} from '@starling/core';
import { membersChange, type MembersChange, type RunConfig } from '@starling/protocol';

/**
 * Membership of one run, without sockets or clocks: who is live, which shard each peer trains on,
 * the topology over the live peers and its epoch. Every join and leave rebuilds the topology and
 * starts a new epoch (algorithms.md 1.6), unless the run's algorithm grows (its descriptor's
 * `joins: 'grow'`, R-FAST) on a topology that may grow (core's GROWABLE_KINDS): then a joiner is
 * attached to a few live peers within the epoch (core's attachJoiner), a leaver's neighbours are
 * linked to each other (core's detachLeaver), and only the peers a change touches hear of it
 * (issue 13: a change costs O(1) messages and resets no tracker). A peer ejected for hostile
 * frames still starts a new epoch: only a reset clears the mass it injected.
 */

/** A peer that must be told about a new epoch. */
export interface EpochUpdate {
  peerId: PeerId;
  epoch: number;
  neighbours: PeerNeighbours;
  /** Who joined and left since the previous epoch: one object shared by the epoch's updates. */
  change: MembersChange;
}

/** A peer whose lists changed within the epoch (joiners attached to it, or a neighbour left): its new lists and who came and went. */
export interface GrowUpdate {
  peerId: PeerId;
  epoch: number;
  /** This peer's grows in the epoch, from 1 (GrowPayload.seq). */
  seq: number;
  neighbours: PeerNeighbours;
  added: PeerId[];
  removed: PeerId[];
}

export type JoinResult =
  | { ok: true; peerId: PeerId; shard: number; epoch: number; neighbours: PeerNeighbours; updates: EpochUpdate[]; grown: GrowUpdate[] }
  | RunFull;

export type AdmitOutcome = { ok: true; peerId: PeerId; shard: number } | RunFull;

interface RunFull {
  ok: false;
  code: 'run-full';
  message: string;
}

export interface LeaveResult {
  epoch: number;
  /** A new epoch: every live peer's news (empty when the change stayed within the epoch). */
  updates: EpochUpdate[];
  /** A change within the epoch: the news of the peers it touched. */
  grown: GrowUpdate[];
}

export type SettleResult = LeaveResult;

export type CoordinatorConfig = Pick<RunConfig, 'algorithm' | 'topology' | 'shards' | 'maxPeers' | 'seed'>;

export class Coordinator {
  private nextId: PeerId;
  private currentEpoch = 0;
  /** Live peers and their shard, in join order. */
  private readonly shardOfPeer = new Map<PeerId, number>();
  private neighbourLists = new Map<PeerId, PeerNeighbours>();
  /** Peers admitted and not settled yet, in admission order. */
  private unsettled: PeerId[] = [];
  /**
   * The members at the epoch's start, and those plus every peer grown into the epoch since: what a
   * live peer's list may hold is between the two. The next epoch's change adds against the first
   * (a peer that did not hear of a grown joiner learns of it) and removes against the second (one
   * that did hears when it leaves).
   */
  private epochMembers: PeerId[] = [];
  private announced = new Set<PeerId>();
  /** Per live peer, the grows it was told of in this epoch (absent: none since its welcome or the epoch). */
  private growSeqs = new Map<PeerId, number>();
  /** Joins grow the topology within the epoch (see the class note). */
  readonly grows: boolean;

  /** `firstPeerId`: a resumed run continues after the ids it handed out before a restart. */
  constructor(
    private readonly config: CoordinatorConfig,
    firstPeerId: PeerId = 0,
  ) {
    this.nextId = firstPeerId;
    this.grows = algorithmDescriptor(config.algorithm).joins === 'grow' && GROWABLE_KINDS.includes(config.topology.kind);
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
    this.unsettled.push(peerId);
    return { ok: true, peerId, shard };
  }

  /** Will the next settle() grow the topology within the epoch (true) or start a new epoch? */
  settleGrows(): boolean {
    // Into an empty run the joiners get the named topology: nobody has a tracker to keep.
    return this.grows && this.neighbourLists.size > 0;
  }

  /**
   * Places the admissions since the last settle (null when there were none): in a new epoch for
   * every live peer, or, when joins grow (settleGrows), attached within this epoch, with news for
   * the attached peers only.
   */
  settle(): SettleResult | null {
    if (this.unsettled.length === 0) return null;
    if (!this.settleGrows()) return { updates: this.rebuild(), epoch: this.currentEpoch, grown: [] };
    const joiners = this.unsettled.splice(0);
    const members = this.members();
    const touched = new Map<PeerId, PeerId[]>();
    for (const j of joiners) {
      this.announced.add(j);
      for (const p of attachJoiner(this.neighbourLists, j, members)) {
        if (!touched.has(p)) touched.set(p, []);
        touched.get(p)!.push(j);
      }
    }
    // The joiners' welcomes carry their whole lists, links to each other included: no grow for them.
    const welcomed = new Set(joiners);
    const grown: GrowUpdate[] = [];
    for (const [peerId, added] of touched) {
      if (welcomed.has(peerId)) continue;
      grown.push(this.growUpdate(peerId, added, []));
    }
    return { updates: [], epoch: this.currentEpoch, grown };
  }

  /** Admit and settle at once; `updates` and `grown` are for the other live peers. */
  join(): JoinResult {
    const a = this.admit();
    if (!a.ok) return a;
    const settled = this.settle()!;
    const updates = settled.updates.filter((u) => u.peerId !== a.peerId);
    return { ...a, epoch: this.currentEpoch, neighbours: this.neighbourLists.get(a.peerId)!, updates, grown: settled.grown };
  }

  /**
   * Remove a live peer (left, disconnected or timed out); null if it was not live. Where changes
   * grow (see the class note) and no `reset` is asked, its neighbours are linked to each other
   * within the epoch and only they hear of it; admissions not settled yet wait for settle().
   * Otherwise every live peer enters a new epoch, and the admissions are settled with it.
   * `reset`: the peer was ejected for hostile frames.
   */
  leave(id: PeerId, reset = false): LeaveResult | null {
    if (!this.shardOfPeer.delete(id)) return null;
    this.growSeqs.delete(id);
    if (!this.grows || reset) {
      const updates = this.rebuild();
      return { epoch: this.currentEpoch, updates, grown: [] };
    }
    const waiting = this.unsettled.indexOf(id);
    if (waiting >= 0) this.unsettled.splice(waiting, 1); // never placed: nobody links to it
    const gained = detachLeaver(this.neighbourLists, id, this.members());
    const grown = [...gained].map(([peerId, added]) => this.growUpdate(peerId, added, [id]));
    return { epoch: this.currentEpoch, updates: [], grown };
  }

  /** The next grow of `peerId` in this epoch, with its lists as they are now. */
  private growUpdate(peerId: PeerId, added: PeerId[], removed: PeerId[]): GrowUpdate {
    const seq = (this.growSeqs.get(peerId) ?? 0) + 1;
    this.growSeqs.set(peerId, seq);
    return { peerId, epoch: this.currentEpoch, seq, neighbours: this.neighbourLists.get(peerId)!, added, removed };
  }

  /**
   * Start the next epoch over the current members; every live peer is told (the epoch number tags
   * every data frame and all trackers reset together), each with its lists and the member change
   * against the previous epoch, which each of them was told about too.
   */
  private rebuild(): EpochUpdate[] {
    this.unsettled.length = 0;
    this.growSeqs.clear();
    const base = this.currentEpoch++;
    const members = this.members();
    const added = membersChange(base, this.epochMembers, members).added;
    const removed = membersChange(base, [...this.announced], members).removed;
    this.epochMembers = members;
    this.announced = new Set(members);
    const next = members.length > 0 ? neighbourTable(buildTopology(this.config.topology.kind, members, this.topologyOptions(members))) : new Map<PeerId, PeerNeighbours>();
    const change = { base, added, removed };
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
