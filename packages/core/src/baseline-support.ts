/**
 * Pieces the baseline algorithms share: option checks, sender lookup, block validation and the
 * hold-and-replay of messages that arrive before the epoch they belong to.
 */
import {
  type AlgoStats,
  type CommonOptions,
  type Envelope,
  type Message,
  type MsgKind,
  type PeerId,
  type PeerNeighbours,
} from './contract';
import { allFinite, blockEnd, blockStart, isValidBlock, type BlockLayout } from './blocks';
import { ConfigError, TopologyError } from './errors';
import { ROBUST_DEFAULTS, allBounded } from './robust-config';
import type { Evidence } from './robust-evidence';

export function emptyStats(): AlgoStats {
  return { steps: 0, messagesIn: 0, rejected: 0, stale: 0 };
}

/** Validates the options every baseline shares; throws ConfigError / TopologyError with the fix. */
export function checkCommonOptions(opts: CommonOptions): void {
  if (!(opts.x0 instanceof Float32Array) || opts.x0.length === 0) {
    throw new ConfigError('x0 must be a non-empty Float32Array (the initial model)');
  }
  if (!allFinite(opts.x0)) throw new ConfigError('x0 contains NaN or Infinity; initialise the model with finite values');
  if (!Number.isInteger(opts.blockSize) || opts.blockSize <= 0) {
    throw new ConfigError(`blockSize must be a positive integer, got ${opts.blockSize}`);
  }
  if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new ConfigError(`lr must be a positive number, got ${opts.lr}`);
  if (!Number.isInteger(opts.epoch) || opts.epoch < 0) {
    throw new ConfigError(`epoch must be a non-negative integer, got ${opts.epoch}`);
  }
}

/** Throws unless `v` has the model's length. */
export function checkLength(what: string, v: Float32Array, dim: number): void {
  if (!(v instanceof Float32Array) || v.length !== dim) {
    throw new ConfigError(`${what} must be a Float32Array of length ${dim} (the model size), got length ${v?.length}`);
  }
}

/** The epoch's members, ascending and de-duplicated; throws if this peer is not one of them. */
export function sortedMembers(nb: PeerNeighbours, self: PeerId): PeerId[] {
  const ids = checkIds('members', nb.members);
  if (!ids.includes(self)) {
    throw new TopologyError(`peer ${self} is not in members [${ids.join(', ')}]; a peer must be a member of its own epoch`);
  }
  return ids;
}

/** Undirected neighbours, ascending, without self; throws if one is not a member. */
export function sortedNeighbours(nb: PeerNeighbours, self: PeerId, members: readonly PeerId[]): PeerId[] {
  const ids = checkIds('undirected', nb.undirected).filter((j) => j !== self);
  for (const j of ids) {
    if (!members.includes(j)) throw new TopologyError(`neighbour ${j} of peer ${self} is not in members; rebuild the epoch's neighbour lists`);
  }
  return ids;
}

function checkIds(what: string, ids: readonly PeerId[]): PeerId[] {
  if (!Array.isArray(ids)) throw new TopologyError(`neighbours.${what} must be an array of peer ids`);
  for (const j of ids) {
    if (!Number.isInteger(j) || j < 0) throw new TopologyError(`neighbours.${what} holds ${j}; peer ids are non-negative integers`);
  }
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** Peer id -> position in a list, O(1), and safe on any `from` a malicious header can carry. */
export class PeerIndex {
  private readonly pos: Int32Array;

  constructor(ids: readonly PeerId[]) {
    let max = -1;
    for (const j of ids) max = Math.max(max, j);
    this.pos = new Int32Array(max + 1).fill(-1);
    ids.forEach((j, i) => (this.pos[j] = i));
  }

  /** Position of `id`, or -1 when it is not in the list (or not an id at all). */
  of(id: number): number {
    return Number.isInteger(id) && id >= 0 && id < this.pos.length ? this.pos[id] : -1;
  }
}

/** A float32 block of the layout with a well-formed header, whatever its values (isFloat32Block checks those too). */
export function isShapedFloat32Block(msg: Message, layout: BlockLayout): msg is Message & { data: Float32Array } {
  const d = msg.data;
  return d instanceof Float32Array && Number.isInteger(msg.seq) && msg.seq >= 0 && Number.isFinite(msg.aux) && isValidBlock(layout, msg.block, msg.offset, d.length);
}

/**
 * A float32 block of this layout with an integer seq, a finite aux and values within `bound`
 * (finite is not enough: a model value of 1e30 averaged in breaks the next gradient). A block
 * refused only for its magnitude is charged to its sender in `evidence`.
 */
export function isFloat32Block(
  msg: Message,
  layout: BlockLayout,
  evidence: Evidence | null = null,
  bound: number = ROBUST_DEFAULTS.maxAbsModel,
): msg is Message & { data: Float32Array } {
  if (!isShapedFloat32Block(msg, layout)) return false;
  const d = msg.data;
  if (allBounded(d, bound)) return true;
  if (evidence !== null && allFinite(d)) evidence.note(msg.from, 'magnitude');
  return false;
}

/** Builds one envelope; `data` is usually a view into the algorithm's state (see Message.data). */
export function envelope(
  to: PeerId,
  reliable: boolean,
  kind: MsgKind,
  from: PeerId,
  epoch: number,
  seq: number,
  block: number,
  offset: number,
  aux: number,
  data: Float32Array | Float64Array,
): Envelope {
  return { to, reliable, msg: { kind, from, epoch, seq, block, offset, aux, data } };
}

/** Kinds each baseline accepts, for the epoch gate's cheap pre-check. */
export type KindSet = ReadonlySet<MsgKind>;
export const kindSet = (...kinds: MsgKind[]): KindSet => new Set(kinds);

/**
 * Holds copies of messages from a newer epoch until setEpoch, then replays them. Bounded per
 * sender, so a peer can make us hold only what an honest peer would send before needing our reply.
 */
export class EpochInbox {
  private held: Message[] = [];
  private readonly heldBySender = new Map<PeerId, number>();

  constructor(
    private readonly kinds: KindSet,
    /** Coordinates held per sender at most. */
    private readonly perSenderLimit: number,
    private readonly maxLead: number,
  ) {}

  /** Copies `msg` if it belongs to a near-future epoch and the sender is under its limit. */
  hold(msg: Message, current: number): boolean {
    const d = msg.data;
    if (!Number.isInteger(msg.epoch) || msg.epoch <= current || msg.epoch > current + this.maxLead) return false;
    if (!this.kinds.has(msg.kind) || !Number.isInteger(msg.from) || msg.from < 0) return false;
    if (!(d instanceof Float32Array || d instanceof Float64Array)) return false;
    const used = this.heldBySender.get(msg.from) ?? 0;
    if (used + d.length > this.perSenderLimit) return false;
    this.heldBySender.set(msg.from, used + d.length);
    const { kind, from, epoch, seq, block, offset, aux } = msg;
    this.held.push({ kind, from, epoch, seq, block, offset, aux, data: d.slice() });
    return true;
  }

  /**
   * Entering `epoch`: replays its held messages in arrival order through `handle` and forgets older
   * ones (returned as `dropped`, to be counted as rejected). Output data is copied, because views
   * returned by several handler calls in one go could alias the same state.
   */
  replay(epoch: number, handle: (m: Message) => Envelope[]): { out: Envelope[]; dropped: number } {
    const keep: Message[] = [];
    const now: Message[] = [];
    let dropped = 0;
    for (const m of this.held) {
      if (m.epoch === epoch) now.push(m);
      else if (m.epoch > epoch) keep.push(m);
      else dropped++;
    }
    this.held = keep;
    this.heldBySender.clear();
    for (const m of keep) this.heldBySender.set(m.from, (this.heldBySender.get(m.from) ?? 0) + m.data.length);
    const out: Envelope[] = [];
    for (const m of now) {
      for (const e of handle(m)) out.push({ ...e, msg: { ...e.msg, data: e.msg.data.slice() } });
    }
    return { out, dropped };
  }
}

/**
 * The receive-side epoch gate every reliable baseline runs first: true when `msg` is of the current
 * epoch and should be handled now; otherwise it was held for a newer epoch, or dropped. Frames of
 * an older epoch cross every membership change and count as stale; a malformed epoch or one too
 * far ahead to hold counts as rejected.
 */
export function passEpochGate(msg: Message, epoch: number, inbox: EpochInbox, stats: AlgoStats): boolean {
  stats.messagesIn++;
  if (msg.epoch === epoch) return true;
  if (inbox.hold(msg, epoch)) return false;
  if (Number.isInteger(msg.epoch) && msg.epoch >= 0 && msg.epoch < epoch) stats.stale++;
  else stats.rejected++;
  return false;
}

/** Positive modulo. */
export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
