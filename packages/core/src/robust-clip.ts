/**
 * Byzantine-robust mixing, receive side (issue 13): self-centred clipping of pulled models
 * (ClippedGossip / SSClip, He, Karimireddy & Jaggi 2022) with an adaptive radius.
 *
 * A received block y is mixed as c + CLIP(y - c, tau) where c is the receiver's own copy of the
 * block and CLIP scales the difference down to norm tau when it is longer. One hostile neighbour
 * then moves the model by at most tau times its mixing weight per step, however wild its frame.
 *
 * tau is adaptive, per block: `multiplier` times the lower median, over the senders heard, of
 * each sender's recent distance (an exponential average over about `window` frames). A frame is
 * judged by the radius before its own distance is recorded, and as long as hostile senders are
 * fewer than half of those heard, the lower median is an honest sender's distance however large
 * theirs are, also when they send more often (a pooled window of frames would let them fill it).
 * The receiver votes too (ClipRadius.radius), so a hostile majority cannot widen it at will.
 * With one sender heard there is no one to compare with: it is clipped only on a sudden jump.
 * Raw distances are recorded (not clipped ones), so the radius follows honest distances that grow
 * quickly (the first steps from a common x0, where every distance starts at 0).
 *
 * A frame beyond the radius that also points against the receiver's block (a sign flip) is not
 * mixed at all once two senders are heard: the receiver's own block stands in for it. Clipped, it
 * still pulled the receiver a radius towards the flipped model at every step, and within a few
 * dozen steps the honest models sat near zero, where the flipped copies passed unclipped
 * (ROBUST_DEFAULTS.opposedCosine).
 *
 * Pure typed-array code: one fused pass measures the distance, a second (only when clipping)
 * writes; the median sorts a window-sized scratch in place. Nothing model-sized is allocated.
 */
import type { OptionSpec, PeerId } from './contract';
import { ROBUST_DEFAULTS } from './robust-config';
import { ConfigError } from './errors';

export interface ClipOptions {
  multiplier?: number;
  window?: number;
  /** Senders remembered at most; the least recently heard is forgotten for a new one. */
  senders?: number;
}

/** The adaptive radius of each block, from each sender's recent distances. */
export class ClipRadius {
  readonly multiplier: number;
  private readonly alpha: number;
  private readonly blocks: number;
  /** Slot -> sender id (-1: free), and when it was last heard (for eviction). */
  private readonly ids: Float64Array;
  private readonly heard: Float64Array;
  /** Per (slot, block): the average distance and whether any was recorded. */
  private readonly avg: Float64Array;
  private readonly seen: Uint8Array;
  private readonly scratch: Float64Array;
  private tick = 0;
  /** Senders whose distance the last radius() was taken over. */
  heardCount = 0;
  /** The slot the last record() used (robust-clip's callers key per-sender state by it). */
  lastSlot = 0;
  /** Set by the last clipInto: the frame opposed the receiver's block (a cosine below ROBUST_DEFAULTS.opposedCosine, or one-sided: skewShare). */
  lastOpposed = false;
  /** Slots (senders remembered at most). */
  get slots(): number {
    return this.ids.length;
  }

  constructor(blocks: number, opts: ClipOptions = {}) {
    this.multiplier = opts.multiplier ?? ROBUST_DEFAULTS.clipMultiplier;
    this.alpha = 2 / ((opts.window ?? ROBUST_DEFAULTS.clipWindow) + 1);
    const slots = opts.senders ?? ROBUST_DEFAULTS.clipSenders;
    this.blocks = blocks;
    this.ids = new Float64Array(slots).fill(-1);
    this.heard = new Float64Array(slots);
    this.avg = new Float64Array(slots * blocks);
    this.seen = new Uint8Array(slots * blocks);
    this.scratch = new Float64Array(slots);
  }

  /**
   * Current radius of block b: `multiplier` times a pick among the senders' recent values
   * (Infinity before any was recorded, one sender's own value with one). The receiver votes too:
   * - With `self` (tracker mass: the receiver's own push increment) the pick is the lower median
   *   of the senders' values and `self`, from the first frame on.
   * - Without it (a model) the pick is the senders' lower median, unless that is more than
   *   ROBUST_DEFAULTS.hijackSpread times the lower median of theirs and a 0 of the receiver's
   *   (it is the centre): then a hostile majority set it, and the latter stands.
   * Either way 2 hostile of 3 in-neighbours (every peer of the 8-peer exponential graph has 3)
   * cannot widen the radius at will, as they could the senders' own lower median.
   */
  radius(b: number, self?: number): number {
    const s = this.scratch;
    let m = 0;
    // Insertion sort of at most `senders` values: no allocation, and fast for a handful.
    for (let k = 0; k < this.ids.length; k++) {
      if (this.seen[k * this.blocks + b] === 0) continue;
      const v = this.avg[k * this.blocks + b];
      let i = m - 1;
      while (i >= 0 && s[i] > v) {
        s[i + 1] = s[i];
        i--;
      }
      s[i + 1] = v;
      m++;
    }
    this.heardCount = m;
    if (self === undefined) {
      if (m < 2) return m === 0 ? Infinity : this.multiplier * s[0];
      const theirs = s[(m - 1) >> 1];
      // Index m >> 1 of the m + 1 values with a 0 first; the same as theirs for an even m.
      const ours = s[(m >> 1) - 1];
      // Not the receiver's pick always: 3x the nearest of 3 honest neighbours clipped their
      // frames so often that least-squares runs missed the exact optimum (rfast.convergence).
      return this.multiplier * (ours > 0 && theirs > ROBUST_DEFAULTS.hijackSpread * ours ? ours : theirs);
    }
    // Index m >> 1 of the m + 1 values, self among them.
    const k = m >> 1;
    let below = 0;
    while (below < m && s[below] <= self) below++;
    return this.multiplier * (k < below ? s[k] : k === below ? self : s[k - 1]);
  }

  /** Forgets every sender's distances (a new epoch: increments restart from the reset trackers). */
  reset(): void {
    this.ids.fill(-1);
    this.seen.fill(0);
  }

  /**
   * Forgets the senders not in `ids` (the neighbours we may hear from now). A sender that left our
   * lists keeps the distance of another time: honest distances shrink as a run converges, and a
   * stale small one set the hijack test off against honest frames (a least-squares run after a
   * reset stalled at 10% off its optimum).
   */
  retain(ids: readonly number[]): void {
    for (let k = 0; k < this.ids.length; k++) {
      if (this.ids[k] !== -1 && !ids.includes(this.ids[k])) {
        this.ids[k] = -1;
        this.seen.fill(0, k * this.blocks, (k + 1) * this.blocks);
      }
    }
  }

  /**
   * Records distance d of `sender` for block b. A distance of 0 is no vote: it says nothing of how
   * far honest peers are apart (every peer of a fresh run starts at the same model), and as the
   * first value of a sender's average it made the radius 0, so every later frame of that sender
   * was clipped onto our own block until the average recovered (an AD-PSGD tab then answered
   * three exchanges with a model the requests had not moved).
   */
  record(b: number, sender: number, d: number): void {
    const k = this.slotOf(sender);
    this.lastSlot = k;
    if (!(d > 0)) return;
    const at = k * this.blocks + b;
    this.avg[at] = this.seen[at] === 0 ? d : this.avg[at] + this.alpha * (d - this.avg[at]);
    this.seen[at] = 1;
  }

  private slotOf(sender: number): number {
    this.tick++;
    let free = -1;
    let oldest = 0;
    for (let k = 0; k < this.ids.length; k++) {
      if (this.ids[k] === sender) {
        this.heard[k] = this.tick;
        return k;
      }
      if (this.ids[k] === -1 && free < 0) free = k;
      if (this.heard[k] < this.heard[oldest]) oldest = k;
    }
    const k = free >= 0 ? free : oldest;
    this.ids[k] = sender;
    this.heard[k] = this.tick;
    this.seen.fill(0, k * this.blocks, (k + 1) * this.blocks);
    return k;
  }
}

/** ||c|| over n coordinates from cAt. */
function norm(c: ArrayLike<number>, cAt: number, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += c[cAt + t] * c[cAt + t];
  return Math.sqrt(s);
}

/** ||y - c|| over n coordinates: y[yAt + t] against c[cAt + t]. */
export function distance(y: ArrayLike<number>, yAt: number, c: ArrayLike<number>, cAt: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const d0 = y[yAt + t] - c[cAt + t];
    const d1 = y[yAt + t + 1] - c[cAt + t + 1];
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if (t < n) {
    const d = y[yAt + t] - c[cAt + t];
    s0 += d * d;
  }
  return Math.sqrt(s0 + s1);
}

/** Scratch of `measure`: ||y - c||, and whether y points against c or lies to one side of it. */
const measured = { d: 0, opposed: false, against: false };

/**
 * ||y - c||, whether y points against c (cos(y, c) < ROBUST_DEFAULTS.opposedCosine), and whether
 * it opposes c: points against it, or is one-sided against c (below it, or above it, in more than
 * ROBUST_DEFAULTS.skewShare of the coordinates where they differ, over at least skewMinCoords of
 * them), in one pass over both blocks (a separate pass would double the cost of every received
 * frame).
 */
function measure(y: ArrayLike<number>, yAt: number, c: ArrayLike<number>, cAt: number, n: number): typeof measured {
  // Two interleaved sets of sums, as in distance(): independent chains the CPU can overlap.
  let below = 0;
  let above = 0;
  let dd = 0;
  let yc = 0;
  let yy = 0;
  let cc = 0;
  let dd1 = 0;
  let yc1 = 0;
  let yy1 = 0;
  let cc1 = 0;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const a = y[yAt + t];
    const b = c[cAt + t];
    const a1 = y[yAt + t + 1];
    const b1 = c[cAt + t + 1];
    const d = a - b;
    const d1 = a1 - b1;
    below += (d < 0 ? 1 : 0) + (d1 < 0 ? 1 : 0);
    above += (d > 0 ? 1 : 0) + (d1 > 0 ? 1 : 0);
    dd += d * d;
    yc += a * b;
    yy += a * a;
    cc += b * b;
    dd1 += d1 * d1;
    yc1 += a1 * b1;
    yy1 += a1 * a1;
    cc1 += b1 * b1;
  }
  if (t < n) {
    const a = y[yAt + t];
    const b = c[cAt + t];
    below += a < b ? 1 : 0;
    above += a > b ? 1 : 0;
    dd += (a - b) * (a - b);
    yc += a * b;
    yy += a * a;
    cc += b * b;
  }
  dd += dd1;
  yc += yc1;
  yy += yy1;
  cc += cc1;
  measured.d = Math.sqrt(dd);
  // yc < k |y||c| for k <= 0: both sides are at most 0, so compare squares once yc is negative.
  const k = ROBUST_DEFAULTS.opposedCosine;
  const differ = below + above;
  const skewed = differ >= ROBUST_DEFAULTS.skewMinCoords && Math.max(below, above) > ROBUST_DEFAULTS.skewShare * differ;
  measured.against = yc < 0 && yy > 0 && cc > 0 && yc * yc > k * k * yy * cc;
  measured.opposed = measured.against || skewed;
  return measured;
}

/**
 * Writes the clipped block c + CLIP(y - c, tau) into dst[dstAt ..] for block b of `radius`, records
 * the distance under `sender`, and returns whether it clipped; `radius.lastOpposed` says whether y
 * opposed c (pointed against it, or lay to one side of it). A frame beyond tau that points against
 * c is not mixed once two senders are heard: c itself is written (and it counts as clipped). `y`
 * may be dst's own storage only when dstAt addresses y itself (in-place clipping of a held copy).
 */
export function clipInto(
  radius: ClipRadius,
  b: number,
  sender: number,
  y: Float32Array | Float64Array,
  yAt: number,
  c: Float32Array | Float64Array,
  cAt: number,
  dst: Float32Array | Float64Array,
  dstAt: number,
  n: number,
): boolean {
  let tau = radius.radius(b);
  // With fewer than two senders heard there is no median to trust (the first frame, or the only
  // sender, may be the attacker's): a frame may then move the block by at most the multiplier
  // times the block's own norm. A scaled model arriving first went in whole before this.
  if (radius.heardCount < 2) tau = Math.min(tau, radius.multiplier * norm(c, cAt, n));
  const { d, opposed, against } = measure(y, yAt, c, cAt, n);
  radius.lastOpposed = opposed;
  radius.record(b, sender, d);
  if (d <= tau) {
    if (dst !== y || dstAt !== yAt) for (let t = 0; t < n; t++) dst[dstAt + t] = y[yAt + t];
    return false;
  }
  // Against our block and beyond the radius: ours stands in (s = 0). Only with a median to trust:
  // alone, or on a star's leaf, near-zero honest blocks of a least-squares run start at random
  // angles, and standing in for them stalled its runs short of the optimum.
  const s = against && radius.heardCount >= 2 ? 0 : tau / d;
  for (let t = 0; t < n; t++) {
    const ct = c[cAt + t];
    dst[dstAt + t] = ct + s * (y[yAt + t] - ct);
  }
  return true;
}

/** The run option: 'clip' (default) mixes through clipInto; 'off' mixes what arrives (still bounded). */
export type RobustMode = 'clip' | 'off';
export const ROBUST_MODES = ['clip', 'off'] as const satisfies readonly RobustMode[];

/** The run-config option, for every descriptor that supports it. */
export const ROBUST_OPTION: OptionSpec = {
  type: 'enum',
  values: ROBUST_MODES,
  doc: "Byzantine-robust mixing: 'clip' (default) clips pulled models around the receiver's own with an adaptive radius (ClippedGossip) and, for R-FAST, refuses tracker mass beyond any honest increment; 'off' mixes what arrives (magnitudes are bounded either way)",
};

/**
 * Robust mixing for the gossip baselines (D-PSGD, AD-PSGD, gossip): each received model block is
 * clipped around the receiver's own block before it is averaged in. One per algorithm; `pull`
 * returns the received block itself or a view of a block-sized scratch (nothing allocated per frame).
 */
export class RobustPull {
  private readonly radius: ClipRadius;
  private readonly scratch: Float32Array;
  private readonly blocks: number;
  /** Per (sender slot, block): hash and version of the last news payload, and whose it was (-1: none). */
  private readonly lastHash: Float64Array;
  private readonly lastVersion: Float64Array;
  private readonly lastOwner: Float64Array;
  /** Set by the last `pull`: whether it clipped. */
  clipped = false;
  /** Set by the last `pull` of news: its payload was bit-identical to the sender's previous news for the block (a replay), and not to our own block (consensus). */
  frozen = false;
  /** Set by the last `pull`: the payload pointed against our own block (see ROBUST_DEFAULTS.opposedCosine). */
  opposed = false;

  constructor(blocks: number, blockSize: number) {
    this.radius = new ClipRadius(blocks);
    this.scratch = new Float32Array(blockSize);
    this.blocks = blocks;
    this.lastHash = new Float64Array(this.radius.slots * blocks);
    this.lastVersion = new Float64Array(this.radius.slots * blocks);
    this.lastOwner = new Float64Array(this.radius.slots * blocks).fill(-1);
  }

  /** Forgets the senders not in `ids`, those we may hear from now (ClipRadius.retain): on every new epoch. */
  retain(ids: readonly PeerId[]): void {
    this.radius.retain(ids);
  }

  /**
   * Block `b` of neighbour `sender` (`data`, starting at coordinate `offset`) clipped around
   * `own[offset ..]`. With `news` the payload is also compared, by hash, with the sender's previous
   * news for the block, since an honest model moves at every step: `true` when every frame is a
   * newer model (a D-PSGD round), or the frame's model version (gossip), news when it is above the
   * last one seen for the block, or an AD-PSGD request or reply (each follows a change of its
   * sender's model: a step, or the averaging of our previous request); `false` for no check.
   */
  pull(b: number, sender: number, offset: number, data: Float32Array, own: Float32Array, news: boolean | number = false): Float32Array {
    const out = this.scratch.subarray(0, data.length);
    this.clipped = clipInto(this.radius, b, sender, data, 0, own, offset, out, 0, data.length);
    this.opposed = this.radius.lastOpposed;
    this.frozen = false;
    if (news !== false) {
      const k = this.radius.lastSlot * this.blocks + b;
      const known = this.lastOwner[k] === sender;
      if (news === true || !known || news > this.lastVersion[k]) {
        const h = payloadHash(data);
        // A repeat of (nearly) our own block is consensus, not a replay: a block that no gradient
        // touches (MNIST's blank border pixels) ends up the same everywhere, and one AD-PSGD run in
        // tabs counted 36 such repeats, bit-identical to the receiver's block, as replays.
        this.frozen = known && this.lastHash[k] === h && !nearlyOurs(data, own, offset);
        this.lastOwner[k] = sender;
        this.lastHash[k] = h;
        this.lastVersion[k] = news === true ? 0 : news;
      }
    }
    return this.clipped ? out : data;
  }
}

/**
 * Whether `data` is `own[offset ..]` up to a few float32 roundings in every value
 * (ROBUST_DEFAULTS.consensusTolerance, relative); checked only on a repeated hash.
 */
function nearlyOurs(data: Float32Array, own: Float32Array, offset: number): boolean {
  const tol = ROBUST_DEFAULTS.consensusTolerance;
  for (let i = 0; i < data.length; i++) {
    const o = own[offset + i];
    if (Math.abs(data[i] - o) > tol * Math.abs(o)) return false;
  }
  return true;
}

/** FNV-1a over the payload's bits (a view, not a copy): equal payloads, equal hashes. */
function payloadHash(data: Float32Array): number {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 2166136261;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619);
  return h >>> 0;
}

/** `opts.robust` of a baseline that supports it: a RobustPull for 'clip' (the default), null for 'off'. */
export function robustPull(mode: string | undefined, blocks: number, blockSize: number): RobustPull | null {
  const m = mode ?? 'clip';
  if (!(ROBUST_MODES as readonly string[]).includes(m)) throw new ConfigError(`robust must be one of ${ROBUST_MODES.join(', ')}, got ${String(mode)}`);
  return m === 'clip' ? new RobustPull(blocks, blockSize) : null;
}
