/**
 * R-FAST's receive rule (docs/algorithms.md 1.3 and 1.7): validate everything a buggy or malicious
 * sender could get wrong, keep only the newest block per (sender, kind, block), never add anything
 * to z on arrival. Compact frames are decoded here into plain values (base + delta, rfast-bases.ts)
 * before they touch any state, so a receive-side filter (bounds on magnitudes, robust mixing) has
 * one place to hook in: `decodeBlock`'s result, before it is stored.
 */
import { Dtype, MsgKind, type Message } from './contract';
import { allFinite, blockEnd, blockStart, isValidBlock, type BlockLayout } from './blocks';
import { allFiniteHalf, decodeHalf, decodeI4, decodeI8, i4Bytes, validScale } from './quantize';
import type { ReceivedBases } from './rfast-bases';
import { STORE_CLIPPED, STORE_REFUSED, type MassLinks, type PullClip, type PullLinks } from './rfast-links';
import type { MassOpposition } from './rfast-mass-opposition';
import type { RfastSender } from './rfast-sends';
import type { SimdScratch } from './rfast-simd';
import { ROBUST_DEFAULTS, allBounded, seqOrder } from './robust-config';

/**
 * 'kept': taken, and the sender asked us to keep it as a delta base: acknowledge it. 'magnitude'
 * and 'jump' are refusals ('rejected') that say something about the sender: a value beyond the
 * magnitude bound (ROBUST_DEFAULTS), a seq too far ahead of the newest held.
 */
export type Verdict = 'ok' | 'kept' | 'rejected' | 'stale' | 'magnitude' | 'jump';

/** What the receive rule reads and writes; one per peer and epoch. */
export interface ReceiveState {
  epoch: number;
  layout: BlockLayout;
  pull: PullLinks;
  mass: MassLinks;
  sender: RfastSender;
  naive: boolean;
  /** SIMD kernels' scratch (finiteness checks in kernel memory), or null. */
  simd: SimdScratch | null;
  /** Block-sized decode buffers (the SIMD scratch when there is one). */
  f32: Float32Array;
  f64: Float64Array;
  /** Robust mixing: pulled copies are clipped around our own model x (null: off; PullClip). */
  clip: PullClip | null;
  /** Set by the last acceptV: a newest v block was stored (then clipped, frozen and opposed say how it was judged). */
  vStored: boolean;
  /** Set by the last acceptV: the frame was taken but clipped. */
  clipped: boolean;
  /** Set by the last acceptV: a newer frame held exactly the block its sender sent before (frozen, or replayed). */
  frozen: boolean;
  /** Set by the last acceptV: the frame pointed against our own model (ClipRadius.lastOpposed). */
  opposed: boolean;
  /** Set by the last acceptRho: its new mass was clipped (counted, not held against the sender: see MassLinks.audit). */
  massClipped: boolean;
  /** Set by the last acceptRho: a newest running sum was stored, and whether it opposed ours (rfast-mass-opposition.ts). */
  massStored: boolean;
  massOpposed: boolean;
  /** Robust mixing: running sums are judged against our own outgoing one (null: off). */
  opposition: MassOpposition | null;
  /** Our tracker and latest gradient: the scale an honest neighbour's tracker mass is judged against. */
  z: Float64Array;
  g: Float32Array;
  /** Our model copy v: the scale before our first gradient. */
  v: Float32Array;
  /** The share of z one push of ours gives each out-neighbour (pushShare / out-degree): our own vote on honest tracker increments. */
  pushPerLink: number;
}

/** Stores the block only when every check passed (allocates nothing but the decoded views). */
export function acceptMessage(msg: Message, s: ReceiveState): Verdict {
  s.vStored = false;
  s.clipped = false;
  s.frozen = false;
  s.opposed = false;
  s.massClipped = false;
  s.massStored = false;
  s.massOpposed = false;
  if (typeof msg !== 'object' || msg === null) return 'rejected';
  const { kind, epoch, seq, block, offset, data } = msg;
  if (!Number.isSafeInteger(epoch)) return 'rejected';
  // Another epoch is not an attack: frames cross every membership change. Older epochs are void,
  // newer ones resend everything once we switch, so both are dropped as stale, not counted as bad.
  if (epoch !== s.epoch) return 'stale';
  if (!Number.isSafeInteger(seq) || seq < 0) return 'rejected';
  if (!ArrayBuffer.isView(data)) return 'rejected';
  if (msg.keep !== undefined && typeof msg.keep !== 'boolean') return 'rejected';
  if (kind === MsgKind.RfastV) return acceptV(msg, s);
  if (kind === (s.naive ? MsgKind.NaiveDelta : MsgKind.RfastRho)) return s.naive ? acceptNaive(msg, s) : acceptRho(msg, s);
  if (kind === MsgKind.RfastAck && !s.naive) {
    if (data.length !== 0 || msg.base !== undefined || msg.keep === true) return 'rejected';
    if (!Number.isSafeInteger(block) || block < 0 || block >= s.layout.count || offset !== blockStart(s.layout, block)) return 'rejected';
    if (msg.aux !== MsgKind.RfastV && msg.aux !== MsgKind.RfastRho) return 'rejected';
    if (!s.sender.isTarget(msg.from, msg.aux)) return 'rejected';
    return s.sender.acknowledge(msg.from, msg.aux, block, seq) ? 'ok' : 'stale';
  }
  if (kind === MsgKind.RfastPace) {
    if (data.length !== 0 || msg.base !== undefined || msg.keep === true || block !== 0 || offset !== 0) return 'rejected';
    if (!s.sender.targets().includes(msg.from)) return 'rejected';
    return s.sender.paced(msg.from, seq) ? 'ok' : 'stale';
  }
  return 'rejected';
}

/** Outcome of decoding a block: its values (a view into the scratch) or why not. */
type Decoded = Float64Array | Float32Array | 'rejected' | 'stale' | 'magnitude';

/**
 * The block's values, whole or rebuilt as base + delta. `whole` is the payload type a whole block
 * travels as (v: Float32Array, running sums: Float64Array).
 */
function decodeBlock(msg: Message, s: ReceiveState, bases: ReceivedBases, j: number, n: number, whole: typeof Float32Array | typeof Float64Array): Decoded {
  const { data, block, offset } = msg;
  // Bounded before anything is computed from it: a finite 1e300 overflows z += rhoNew - rhoTilde.
  const bound = whole === Float32Array ? ROBUST_DEFAULTS.maxAbsModel : ROBUST_DEFAULTS.maxAbsRunningSum;
  if (msg.base === undefined) {
    if (!(data instanceof whole) || msg.keep === true) return 'rejected';
    if ((msg.scale !== undefined && msg.scale !== 1) || (msg.dtype !== undefined && msg.dtype !== (whole === Float32Array ? Dtype.F32 : Dtype.F64))) return 'rejected';
    if (!allBounded(data, bound)) return allFinite(data) ? 'magnitude' : 'rejected';
    return data as Float32Array | Float64Array;
  }
  const base = msg.base;
  if (!Number.isSafeInteger(base) || base < 0 || base >= msg.seq) return 'rejected';
  const value = s.f64.subarray(0, n);
  if (data instanceof Int8Array) {
    if (!validScale(msg.scale) || (msg.dtype !== undefined && msg.dtype !== Dtype.I8)) return 'rejected';
    decodeI8(data, msg.scale, value, 0);
  } else if (data instanceof Uint8Array) {
    if (msg.dtype !== Dtype.I4 || !validScale(msg.scale)) return 'rejected';
    decodeI4(data, n, msg.scale, value, 0);
  } else if (data instanceof Uint16Array) {
    const dtype = msg.dtype;
    if ((dtype !== Dtype.F16 && dtype !== Dtype.BF16) || !validScale(msg.scale) || !allFiniteHalf(data, dtype)) return 'rejected';
    decodeHalf(data, dtype, msg.scale, value, 0);
  } else if (data instanceof Float32Array) {
    if ((msg.scale !== undefined && msg.scale !== 1) || (msg.dtype !== undefined && msg.dtype !== Dtype.F32)) return 'rejected';
    for (let t = 0; t < n; t++) value[t] = data[t];
  } else {
    return 'rejected';
  }
  const which = bases.which(j, block, base);
  if (which === null) return 'stale'; // older than a base switch, or on a base never acknowledged: a delay
  const held = bases.values(which);
  const at = j * s.layout.dim + offset;
  for (let t = 0; t < n; t++) value[t] = held[at + t] + value[t];
  let out: Float32Array | Float64Array = value;
  if (whole === Float32Array) {
    out = s.f32.subarray(0, n); // v travels as float32: both sides keep the rounded value
    out.set(value);
  }
  if (!allBounded(out, bound)) return allFinite(out) ? 'magnitude' : 'rejected'; // checked before anything changes
  if (which === 'cand') bases.promote(j, block, offset, n);
  return out;
}

/** Where a v or running-sum frame lands: its link, whether it is the newest, whether to keep it. */
interface Admitted {
  j: number;
  slot: number;
  newest: boolean;
  kept: boolean;
  /** Values the frame carries (valueCount). */
  n: number;
}

/**
 * Values a frame carries: its payload's length, or for int4 codes (two per byte) the length of
 * the block it names when the payload fits that block exactly; -1 when it does not.
 */
function valueCount(msg: Message, layout: BlockLayout): number {
  const data = msg.data;
  if (!(data instanceof Uint8Array)) return data.length;
  const b = msg.block;
  if (msg.dtype !== Dtype.I4 || !Number.isSafeInteger(b) || b < 0 || b >= layout.count) return -1;
  const n = blockEnd(layout, b) - blockStart(layout, b);
  return data.length === i4Bytes(n) ? n : -1;
}

/**
 * The checks before any decoding (a duplicate costs no pass): known sender, valid block, news.
 * News is judged with a bounded jump (seqOrder): one frame with seq 2^32 - 1 must not make every
 * later frame of its sender stale.
 */
function admit(msg: Message, links: PullLinks | MassLinks, layout: BlockLayout): Admitted | 'rejected' | 'stale' | 'jump' {
  const j = links.index.of(msg.from);
  const n = valueCount(msg, layout);
  if (j < 0 || !isValidBlock(layout, msg.block, msg.offset, n)) return 'rejected';
  const slot = j * layout.count + msg.block;
  const order = seqOrder(msg.seq, links.seq[slot]);
  if (order === 'jump') return 'jump';
  const newest = order !== 'older';
  const kept = msg.keep === true && msg.base !== undefined && links.bases.wantsCandidate(j, msg.block, msg.seq);
  return newest || kept ? { j, slot, newest, kept, n } : 'stale';
}

function acceptV(msg: Message, s: ReceiveState): Verdict {
  const a = admit(msg, s.pull, s.layout);
  if (typeof a === 'string') return a;
  const decoded = decodeBlock(msg, s, s.pull.bases, a.j, a.n, Float32Array);
  if (typeof decoded === 'string') return decoded;
  const values = decoded as Float32Array;
  if (a.kept) s.pull.bases.keep(a.j, msg.block, msg.offset, msg.seq, values);
  if (a.newest) {
    s.frozen = s.pull.sameAsHeld(a.j, msg.block, msg.offset, values);
    const stored = s.pull.store(a.j, msg.block, msg.offset, values, s.simd, s.clip);
    if (stored === STORE_REFUSED) return 'rejected';
    s.vStored = true;
    s.clipped = stored === STORE_CLIPPED;
    s.opposed = s.clip !== null && s.clip.radius.lastOpposed;
    s.pull.seq[a.slot] = msg.seq;
  }
  return a.kept ? 'kept' : 'ok';
}

function acceptRho(msg: Message, s: ReceiveState): Verdict {
  const { seq, block, offset } = msg;
  const { mass } = s;
  const a = admit(msg, mass, s.layout);
  if (typeof a === 'string') return a;
  const { j, slot, newest, kept, n } = a;
  const decoded = decodeBlock(msg, s, mass.bases, j, n, Float64Array);
  if (typeof decoded === 'string') return decoded;
  const values = decoded as Float64Array;
  if (msg.base === undefined) {
    if (!mass.store(j, block, offset, values, false, s.simd)) return 'rejected';
  } else {
    if (kept) mass.bases.keep(j, block, offset, seq, values);
    if (newest) mass.storeDecoded(j, block, offset, values);
  }
  if (newest) {
    const audit = mass.audit(j, block, offset, values.length, s.z, s.g, s.v, s.pushPerLink);
    if (audit === 'refused') return 'magnitude';
    s.massClipped = audit === 'clipped';
    mass.seq[slot] = seq;
    s.massStored = true;
    s.massOpposed = s.opposition !== null && s.opposition.judge(j, block, offset, values.length, mass.sums, mass.newAt(j, block, offset), s.sender.rho) === 'opposed';
  }
  return kept ? 'kept' : 'ok';
}

function acceptNaive(msg: Message, s: ReceiveState): Verdict {
  const { from, seq, block, offset, data } = msg;
  const j = s.mass.index.of(from);
  if (j < 0 || !(data instanceof Float64Array) || msg.base !== undefined || msg.keep === true) return 'rejected';
  if (!isValidBlock(s.layout, block, offset, data.length)) return 'rejected';
  const slot = j * s.layout.count + block;
  const order = seqOrder(seq, s.mass.seq[slot]);
  if (order === 'jump') return 'jump';
  if (order === 'older') return 'stale';
  if (!allBounded(data, ROBUST_DEFAULTS.maxAbsRunningSum)) return allFinite(data) ? 'magnitude' : 'rejected';
  if (!s.mass.store(j, block, offset, data, true, s.simd)) return 'rejected';
  s.mass.seq[slot] = seq;
  return 'ok';
}
