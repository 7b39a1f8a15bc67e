/**
 * Byzantine-robust mixing, receive side (issue 13): self-centred clipping of pulled models
 * (ClippedGossip / SSClip, He, Karimireddy & Jaggi 2022) with an adaptive radius.
 *
 * A received block y is mixed as c + CLIP(y - c, tau) where c is the receiver's own copy of the
 * block and CLIP scales the difference down to norm tau when it is longer. One hostile neighbour
 * then moves the model by at most tau times its mixing weight per step, however wild its frame.
 *
 * tau is adaptive, per block: `multiplier` times the median of the last `window` distances
 * received for that block (from any sender). A frame is judged by the radius before its own
 * distance enters the ring, and as long as hostile frames are a minority of the window the median
 * is an honest distance, however large theirs are. Raw distances are recorded (not clipped ones),
 * so the radius follows honest distances that grow quickly (the first steps from a common x0,
 * where every distance starts at 0). Until `minSamples` distances have been seen there is nothing
 * to compare with and nothing is clipped.
 *
 * Pure typed-array code: one fused pass measures the distance, a second (only when clipping)
 * writes; the median sorts a window-sized scratch in place. Nothing model-sized is allocated.
 */
import type { OptionSpec } from './contract';
import { ROBUST_DEFAULTS } from './robust-config';
import { ConfigError } from './errors';

export interface ClipOptions {
  multiplier?: number;
  window?: number;
  minSamples?: number;
}

/** The adaptive radius of each block: a ring of recent (clipped) distances per block. */
export class ClipRadius {
  private readonly ring: Float64Array;
  private readonly filled: Int32Array;
  private readonly next: Int32Array;
  private readonly scratch: Float64Array;
  readonly multiplier: number;
  private readonly window: number;
  private readonly minSamples: number;

  constructor(blocks: number, opts: ClipOptions = {}) {
    this.multiplier = opts.multiplier ?? ROBUST_DEFAULTS.clipMultiplier;
    this.window = opts.window ?? ROBUST_DEFAULTS.clipWindow;
    this.minSamples = Math.min(this.window, opts.minSamples ?? ROBUST_DEFAULTS.clipMinSamples);
    this.ring = new Float64Array(blocks * this.window);
    this.filled = new Int32Array(blocks);
    this.next = new Int32Array(blocks);
    this.scratch = new Float64Array(this.window);
  }

  /** Current radius of block b; Infinity while fewer than minSamples distances were seen. */
  radius(b: number): number {
    const m = this.filled[b];
    if (m < this.minSamples) return Infinity;
    const s = this.scratch;
    const base = b * this.window;
    // Insertion sort of at most `window` values: no allocation, and fast for a handful.
    for (let i = 0; i < m; i++) {
      const v = this.ring[base + i];
      let k = i - 1;
      while (k >= 0 && s[k] > v) {
        s[k + 1] = s[k];
        k--;
      }
      s[k + 1] = v;
    }
    // The lower median for an even count: with two values, the smaller (an attacker's is larger).
    return this.multiplier * s[(m - 1) >> 1];
  }

  /** Records distance d for block b. */
  record(b: number, d: number): void {
    const at = b * this.window + this.next[b];
    this.ring[at] = d;
    this.next[b] = (this.next[b] + 1) % this.window;
    if (this.filled[b] < this.window) this.filled[b]++;
  }
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

/**
 * Writes the clipped block c + CLIP(y - c, tau) into dst[dstAt ..] for block b of `radius`, records
 * the distance, and returns whether it clipped. `y` may be dst's own storage only when dstAt
 * addresses y itself (in-place clipping of a held copy).
 */
export function clipInto(
  radius: ClipRadius,
  b: number,
  y: Float32Array | Float64Array,
  yAt: number,
  c: Float32Array | Float64Array,
  cAt: number,
  dst: Float32Array | Float64Array,
  dstAt: number,
  n: number,
): boolean {
  const tau = radius.radius(b);
  const d = distance(y, yAt, c, cAt, n);
  radius.record(b, d);
  if (d <= tau) {
    if (dst !== y || dstAt !== yAt) for (let t = 0; t < n; t++) dst[dstAt + t] = y[yAt + t];
    return false;
  }
  const s = tau / d;
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
  doc: "Byzantine-robust mixing: 'clip' (default) clips pulled models around the receiver's own with an adaptive radius (ClippedGossip) and, for R-FAST, consumes tracker mass at a bounded rate; 'off' mixes what arrives (magnitudes are bounded either way)",
};

/**
 * Robust mixing for the gossip baselines (D-PSGD, AD-PSGD, gossip): each received model block is
 * clipped around the receiver's own block before it is averaged in. One per algorithm; `pull`
 * returns the received block itself or a view of a block-sized scratch (nothing allocated per frame).
 */
export class RobustPull {
  private readonly radius: ClipRadius;
  private readonly scratch: Float32Array;
  /** Set by the last `pull`: whether it clipped. */
  clipped = false;

  constructor(blocks: number, blockSize: number) {
    this.radius = new ClipRadius(blocks);
    this.scratch = new Float32Array(blockSize);
  }

  /** Block `b` of a neighbour (`data`, starting at coordinate `offset`) clipped around `own[offset ..]`. */
  pull(b: number, offset: number, data: Float32Array, own: Float32Array): Float32Array {
    const out = this.scratch.subarray(0, data.length);
    this.clipped = clipInto(this.radius, b, data, 0, own, offset, out, 0, data.length);
    return this.clipped ? out : data;
  }
}

/** `opts.robust` of a baseline that supports it: a RobustPull for 'clip' (the default), null for 'off'. */
export function robustPull(mode: string | undefined, blocks: number, blockSize: number): RobustPull | null {
  const m = mode ?? 'clip';
  if (!(ROBUST_MODES as readonly string[]).includes(m)) throw new ConfigError(`robust must be one of ${ROBUST_MODES.join(', ')}, got ${String(mode)}`);
  return m === 'clip' ? new RobustPull(blocks, blockSize) : null;
}
