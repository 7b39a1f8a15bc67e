/**
 * Per-neighbour buffers of R-FAST (section 1.2 of docs/algorithms.md), rebuilt on every epoch.
 *
 * Flat layout: all in-links of one kind share one buffer (link j at j * dim) and one seq array
 * (link j, block b at j * count + b). A simulator holds thousands of peers, and a message touches
 * a handful of arrays instead of a graph of small objects, which is what made delivery cache-bound.
 * Each in-link remembers the newest seq it holds per block, so the receive rule "keep only the
 * newest message per (sender, kind, block)" is one comparison.
 */
import type { PeerId, PeerNeighbours } from './contract';
import { allFinite, copyInto, type BlockLayout } from './blocks';
import type { SimdScratch } from './rfast-simd';
import { TopologyError } from './errors';
import { ReceivedBases } from './rfast-bases';
import { clipInto, distance, type ClipRadius } from './robust-clip';
import { ROBUST_DEFAULTS } from './robust-config';

/** Position of a sender among the in-neighbours; a scan beats a Map for the usual few. */
export class LinkIndex {
  private readonly ids: PeerId[];
  private readonly map: Map<PeerId, number> | null;

  constructor(ids: readonly PeerId[]) {
    this.ids = ids.slice();
    this.map = ids.length > 16 ? new Map(ids.map((id, i) => [id, i] as const)) : null;
  }

  get size(): number {
    return this.ids.length;
  }

  id(j: number): PeerId {
    return this.ids[j];
  }

  /** -1 when `from` is not an in-neighbour. */
  of(from: PeerId): number {
    if (this.map !== null) return this.map.get(from) ?? -1;
    const ids = this.ids;
    for (let j = 0; j < ids.length; j++) if (ids[j] === from) return j;
    return -1;
  }
}

export const STORE_REFUSED = 0;
export const STORE_OK = 1;
export const STORE_CLIPPED = 2;
export type StoreResult = typeof STORE_REFUSED | typeof STORE_OK | typeof STORE_CLIPPED;

/** Robust mixing of pulled copies: the adaptive radius per block and our own copy (the centre). */
export interface PullClip {
  radius: ClipRadius;
  /**
   * The centre: our current model x (RFast.params), not our last v. Measured against v, and
   * falling back to it where clipped, peers that kept clipping an honest sender diverged or
   * stalled: on a ring after a join, peer 1 and the joiner clipped most of peer 0's frames (least
   * squares, lr 0.05, seeds 1-3: up to 12.4 at 80 s; centring on x - lr z, 9.7; on x, at most
   * 1.0e-4, and 2.2e-6 at heterogeneity 0.1 where v stalled at up to 4.3e-2). Why is not
   * established: a sender's v holds its descent step, which x does not, but a radius floored at
   * 3x our own step, measured against v, did not help. The price: an honest joiner's v holds its
   * fresh tracker, so it stays clipped longer after joining (ROBUST_DEFAULTS.probation).
   */
  own: Float32Array;
}

/** G_R in-neighbours: the newest v_j received from each. */
export class PullLinks {
  readonly index: LinkIndex;
  /** v-hat of link j at [j * dim, (j + 1) * dim). */
  readonly vhat: Float32Array;
  /** One view per link into `vhat`, for the mixing kernel. */
  readonly views: Float32Array[];
  /** Newest seq held per (link, block); 0 = nothing received yet (senders start at seq 1). */
  readonly seq: Float64Array;
  /**
   * Per (link, block): 1 when the held copy arrived after the last step mixed it. A step mixes only
   * fresh copies, each once: mixing a copy again every step while it is not renewed (the link is
   * slower than the steps) would pull the model back to it every time.
   */
  readonly fresh: Uint8Array;
  /** Delta bases of compact v frames (rfast-bases.ts). */
  readonly bases: ReceivedBases;
  private readonly dim: number;
  private readonly count: number;

  /**
   * A neighbour we already pulled from keeps its last v (still a valid recent model); a new one
   * starts at our own x so it does not drag the mix anywhere. With `sameEpoch` (links were only
   * added: RFast.grow) a kept neighbour's newest seqs and delta bases carry over too, since its
   * frames go on building on them; a new epoch starts those afresh on both sides.
   */
  constructor(ids: readonly PeerId[], layout: BlockLayout, old: PullLinks | null, x: Float32Array, alloc: (n: number) => Float32Array, sameEpoch = false) {
    const dim = layout.dim;
    this.dim = dim;
    this.count = layout.count;
    this.index = new LinkIndex(ids);
    this.vhat = alloc(ids.length * dim);
    this.views = ids.map((_, j) => this.vhat.subarray(j * dim, (j + 1) * dim));
    this.seq = new Float64Array(ids.length * layout.count);
    this.fresh = new Uint8Array(ids.length * layout.count);
    this.bases = new ReceivedBases(ids.length, layout);
    ids.forEach((id, j) => {
      const k = old === null ? -1 : old.index.of(id);
      this.views[j].set(k >= 0 ? (old as PullLinks).views[k] : x);
      // A kept neighbour's copy that no step has mixed yet is still news.
      if (k >= 0) this.fresh.set((old as PullLinks).fresh.subarray(k * layout.count, (k + 1) * layout.count), j * layout.count);
      if (k >= 0 && sameEpoch) this.seq.set((old as PullLinks).seq.subarray(k * layout.count, (k + 1) * layout.count), j * layout.count);
    });
    if (sameEpoch && old !== null) this.bases.carry(old.bases, linkMap(this.index, old.index));
  }

  /**
   * Stores a received v_j block (its values, already decoded) if they are finite: STORE_REFUSED
   * (nothing changed) if not. With `clip` (robust mixing), the block is stored clipped around our
   * own copy `clip.own` (robust-clip.ts): STORE_CLIPPED when that changed it.
   */
  store(j: number, block: number, offset: number, data: Float32Array, simd: SimdScratch | null, clip: PullClip | null = null): StoreResult {
    if (simd === null) {
      if (!allFinite(data)) return STORE_REFUSED;
    } else {
      // Checked in the kernel memory (twice as fast as the JavaScript scan); decoded blocks are there already.
      if (data.buffer !== simd.f32.buffer || data.byteOffset !== simd.f32.byteOffset) simd.f32.set(data);
      if (simd.k.finite32(simd.f32.byteOffset, data.length) === 0) return STORE_REFUSED;
    }
    let result: StoreResult = STORE_OK;
    if (clip === null) copyInto(this.vhat, j * this.dim + offset, data);
    else if (clipInto(clip.radius, block, this.index.id(j), data, 0, clip.own, offset, this.vhat, j * this.dim + offset, data.length)) result = STORE_CLIPPED;
    this.fresh[j * this.count + block] = 1;
    return result;
  }

  /**
   * True when block `block` of link j already holds exactly `data` from this sender: a frame with
   * a newer seq but the very model it sent before (a replayed frame; an honest peer's v moves every
   * step). Exits at the first difference, so an honest frame costs a comparison or two. A clipped
   * copy never matches (clipping is evidence already).
   */
  sameAsHeld(j: number, block: number, offset: number, data: Float32Array): boolean {
    if (this.seq[j * this.count + block] === 0) return false; // nothing taken from it yet
    const at = j * this.dim + offset;
    const held = this.vhat;
    for (let t = 0; t < data.length; t++) if (held[at + t] !== data[t]) return false;
    return data.length > 0;
  }

  /** Replaces every held copy (a model was loaded); none counts as fresh. */
  reset(x: Float32Array): void {
    for (const v of this.views) v.set(x);
    this.fresh.fill(0);
  }
}

/**
 * G_C in-neighbours: rhoNew_ij (the newest running sum received) and rhoTilde_ij (the part already
 * consumed). Each link owns two halves of `sums`; per block, `tildeHalf` says which half holds
 * rhoTilde. Step 3 ends with rhoTilde = rhoNew, done by flipping that bit instead of copying:
 * - fresh = 1: the other half is rhoNew, newer than rhoTilde;
 * - fresh = 0: rhoNew = rhoTilde, and the other half is a spare whose content means nothing (the
 *   next arrival overwrites the whole block).
 * Compact senders send deltas against bases kept in `bases` (rfast-bases.ts).
 */
export class MassLinks {
  readonly index: LinkIndex;
  /** Link j's halves at [2j * dim, (2j + 1) * dim) and [(2j + 1) * dim, (2j + 2) * dim). */
  readonly sums: Float64Array;
  readonly tildeHalf: Uint8Array;
  readonly fresh: Uint8Array;
  readonly seq: Float64Array;
  readonly bases: ReceivedBases;
  private readonly layout: BlockLayout;
  private readonly radius: ClipRadius | null;

  /**
   * Running sums start at zero; `alloc` must return zeroed arrays. With `old` (links were only
   * added within an epoch: RFast.grow) every in-neighbour that `old` had keeps its rhoNew,
   * rhoTilde, seqs and bases: its running sums go on growing from them, so restarting them would
   * count its earlier mass twice.
   */
  constructor(ids: readonly PeerId[], layout: BlockLayout, alloc: (n: number) => Float64Array, radius: ClipRadius | null = null, old: MassLinks | null = null) {
    this.layout = layout;
    this.index = new LinkIndex(ids);
    this.sums = alloc(2 * ids.length * layout.dim);
    const slots = ids.length * layout.count;
    this.tildeHalf = new Uint8Array(slots);
    this.fresh = new Uint8Array(slots);
    this.seq = new Float64Array(slots);
    this.bases = new ReceivedBases(ids.length, layout);
    this.radius = radius;
    if (old === null) return;
    const map = linkMap(this.index, old.index);
    const { dim, count } = layout;
    map.forEach((k, j) => {
      if (k < 0) return;
      this.sums.set(old.sums.subarray(2 * k * dim, (2 * k + 2) * dim), 2 * j * dim);
      const from = k * count;
      this.tildeHalf.set(old.tildeHalf.subarray(from, from + count), j * count);
      this.fresh.set(old.fresh.subarray(from, from + count), j * count);
      this.seq.set(old.seq.subarray(from, from + count), j * count);
    });
    this.bases.carry(old.bases, map);
  }

  /**
   * Robust mixing: after a new rhoNew of (j, block) was stored, measures the mass it brings
   * (||rhoNew - rhoTilde||) against two scales: our own ||z|| + ||g|| on the block (||v|| before our
   * first gradient), and the lower median of the senders' recent increments and our own push
   * increment (`pushPerLink` x ||z||), an honest one's while attackers are fewer than half of the
   * senders and us.
   * - 'refused' beyond any honest increment: more than ROBUST_DEFAULTS.massRefuseFactor times the
   *   larger scale and than massRefuseFactor x massRefuseModelShare times the block's ||v||.
   *   The new sum is undone (rhoNew = rhoTilde, nothing pending) and the caller
   *   counts the frame as hostile. (Refusing at 1000x the median alone refused about 190 honest
   *   frames per sender in a clean MNIST run: single increments vary that much.)
   * - 'clipped' beyond massClipMultiplier times the median: rhoNew is pulled back toward rhoTilde to
   *   that radius. Running sums are cumulative, so an honest sender's clipped remainder is not lost:
   *   it comes with its next frame; an attacker's feeds z at most the radius per frame.
   * The clip is wide on purpose: a per-step cap at a few medians left the mass of senders with
   * larger gradients (non-IID shards) waiting for good (a heterogeneous run missed its optimum by 8%).
   */
  audit(j: number, block: number, offset: number, n: number, z: Float64Array, g: Float32Array, v: Float32Array, pushPerLink: number): 'ok' | 'clipped' | 'refused' {
    const radius = this.radius;
    if (radius === null) return 'ok';
    const an = this.newAt(j, block, offset);
    const at = this.tildeAt(j, block, offset);
    const d = distance(this.sums, an, this.sums, at, n);
    // Before our first step we have no gradient to compare with: for the refusal the model's own
    // norm stands in, far above any honest increment (a share of a gradient tracker), far below a
    // scaled one.
    const zNorm = norm(z, offset, n);
    const tracked = zNorm + norm(g, offset, n);
    const own = tracked > 0 ? tracked : norm(v, offset, n);
    // Our own vote in the median: what one push of ours gives each out-neighbour, the increment
    // an honest sender that tracks the same gradient sends us. It counts from the first frame:
    // mass taken whole until two senders were heard let one x1e6 sender among our first inflate
    // x 2,000-fold within 8 steps (2 hostile of 8, BENCHMARKS.md section 5). Before our first
    // gradient the vote is 0 and the mass waits in the running sums for our next frames.
    const median = radius.radius(block, pushPerLink * zNorm) / radius.multiplier;
    // Only with a scale of our own: the senders' recent increments alone can be near 0 (right after
    // an epoch reset) and would refuse honest mass. Never below a share of the model block's norm
    // (the second test: max(own, median, share x ||v||), with ||v|| computed only for a frame the
    // first would refuse): on blocks whose gradient is mostly exactly 0 (MNIST's border pixels)
    // our own scale can be 10,000 times below an honest sender's increment.
    const refuse = ROBUST_DEFAULTS.massRefuseFactor;
    if (own > 0 && d > refuse * Math.max(own, median) && d > refuse * ROBUST_DEFAULTS.massRefuseModelShare * norm(v, offset, n)) {
      this.sums.copyWithin(an, at, at + n);
      this.fresh[j * this.layout.count + block] = 0;
      return 'refused';
    }
    radius.record(block, this.index.id(j), d);
    const tau = ROBUST_DEFAULTS.massClipMultiplier * median;
    if (!(d > tau)) return 'ok';
    const k = tau / d;
    const sums = this.sums;
    for (let t = 0; t < n; t++) sums[an + t] = sums[at + t] + k * (sums[an + t] - sums[at + t]);
    return 'clipped';
  }


  /** Offset in `sums` of link j's rhoTilde for the block starting at `offset`. */
  tildeAt(j: number, block: number, offset: number): number {
    return (2 * j + this.tildeHalf[j * this.layout.count + block]) * this.layout.dim + offset;
  }

  /** Offset of the other half: rhoNew when fresh, else the spare. */
  newAt(j: number, block: number, offset: number): number {
    return (2 * j + 1 - this.tildeHalf[j * this.layout.count + block]) * this.layout.dim + offset;
  }

  /**
   * Stores a received running-sum block as rhoNew if it is finite; false (nothing changed) if
   * not. The naive variant's messages are increments, so its receiver rebuilds the running sum by
   * adding them to the newest one it holds.
   */
  store(j: number, block: number, offset: number, data: Float64Array, naive: boolean, simd: SimdScratch | null): boolean {
    const slot = j * this.layout.count + block;
    const sums = this.sums;
    const dst = this.newAt(j, block, offset);
    if (naive || simd === null) {
      if (!allFinite(data)) return false;
      if (!naive) {
        copyInto(sums, dst, data);
      } else {
        const base = this.fresh[slot] === 1 ? dst : this.tildeAt(j, block, offset);
        for (let t = 0; t < data.length; t++) sums[dst + t] = sums[base + t] + data[t];
      }
    } else if (this.fresh[slot] === 0) {
      sums.set(data, dst); // into the spare: a rejected block leaves nothing that counts behind
      if (simd.k.finite64(sums.byteOffset + 8 * dst, data.length) === 0) return false;
    } else {
      simd.f64.set(data); // dst holds unconsumed mass: check a copy before overwriting it
      if (simd.k.finite64(simd.f64.byteOffset, data.length) === 0) return false;
      sums.set(data, dst);
    }
    this.fresh[slot] = 1;
    return true;
  }

  /** Stores decoded, already checked values as rhoNew. */
  storeDecoded(j: number, block: number, offset: number, values: Float64Array): void {
    copyInto(this.sums, this.newAt(j, block, offset), values);
    this.fresh[j * this.layout.count + block] = 1;
  }

  /** rhoNew_ij (`which` = 'new') or rhoTilde_ij as one vector: a copy, for inspection. */
  vector(j: number, which: 'new' | 'tilde'): Float64Array {
    const { dim, count, blockSize } = this.layout;
    const out = new Float64Array(dim);
    for (let b = 0; b < count; b++) {
      const from = b * blockSize;
      const n = Math.min(dim, from + blockSize) - from;
      const useNew = which === 'new' && this.fresh[j * count + b] === 1;
      const at = useNew ? this.newAt(j, b, from) : this.tildeAt(j, b, from);
      out.set(this.sums.subarray(at, at + n), from);
    }
    return out;
  }
}

/** For each link of `now`, its index in `before`, or -1 for a link `before` did not have. */
export function linkMap(now: LinkIndex, before: LinkIndex): Int32Array {
  return Int32Array.from({ length: now.size }, (_, j) => before.of(now.id(j)));
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

/** ||a[at .. at + n)||. */
function norm(a: Float64Array | Float32Array, at: number, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += a[at + t] * a[at + t];
  return Math.sqrt(s);
}
