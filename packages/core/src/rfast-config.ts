import { Dtype } from './contract';

/** Tunables of R-FAST's implementation (not of the algorithm: lr and blockSize come per run). */
export const RFAST_DEFAULTS = {
  /**
   * With kernels 'auto', models of at least this many coordinates run the WebAssembly SIMD
   * kernels; smaller ones plain JavaScript. Each SIMD peer owns a WebAssembly.Memory, which V8
   * backs with a large virtual-address reservation and at least one 64 KiB page: a simulation of
   * thousands of tiny peers would run out of reservations, and below a few thousand coordinates a
   * step takes microseconds either way.
   */
  simdMinDim: 2048,
  /**
   * Compact encodings: a running-sum frame sent with `keep` proposes itself as the receiver's next
   * base. If its acknowledgement has not come back after this many further sends of the same
   * (neighbour, block), the frame (or its ack) is taken as lost and the next send proposes again.
   * An ack normally returns within one round trip; a few sends of slack avoid churning candidates
   * on a busy event loop, and a lost one only delays the switch to a fresher base.
   */
  candidateRetrySends: 8,
  /**
   * Pushes wait for the send (rfast-sends.ts) only while tracker mass comes in. A peer that consumed
   * no running sum in this many consecutive steps (its G_C in-neighbours never connected or went
   * silent, or a new epoch just started) pushes every block at every step, as the spec's step 5
   * does. With nothing coming in, its z is only its own high-passed gradient, kept small by the
   * pushes alone; deferring them to a link that carries fewer frames than there are steps lets z
   * grow along the loss's negative curvature between pushes and the model run away
   * (rfast.source.test.ts; two tabs in e2e/peer-flags reached losses of 1e8-1e16).
   */
  quietStepsBeforeStepPush: 8,
  /**
   * The share of z a push moves to the G_C out-neighbours (split evenly; the rest stays in z). The
   * spec's uniform weights move d/(d+1) (3/4 on an 8-peer exponential graph), but the mass a push
   * takes out of z comes back only with the neighbours' next pushes: in between this peer descends
   * along a fraction of its tracker and they along an old gradient of ours. On a home uplink
   * (a block pushed every ~10 steps of an MNIST MLP) that made R-FAST unstable above lr 0.2 and
   * slower than training alone. Bench preset `home` (BENCHMARKS.md section 1): at 0.75 and its
   * best lr (0.1) the average model reached 85% in no scenario; at 0.1 R-FAST tunes to lr 0.4 and
   * reaches 85% in 0.48 virtual s (median of 3 seeds, IID). Probes with an uncommitted script
   * (8 peers, MNIST MLP, average model after 300 steps at lr 0.3-0.4), share 0.75 / 0.3 / 0.1 /
   * 0.05: home IID 18% / 85% / 90% / 92%; loopback IID 85% / - / 89% / -; loopback non-IID
   * 84% / 87% / 88% / - (0.02: 88%); a share adapted to the steps between pushes: 87-89% on home.
   * The price, on a heterogeneous least-squares problem with exact gradients: the largest stable
   * step is about half the spec share's, and the exact optimum after a membership change takes
   * about 25 times as long (sim/rfast.convergence.test.ts). Any share in (0, 1] keeps the invariant.
   */
  pushShare: 0.1,
  /** Encoding of a run that names none. */
  defaultEncoding: 'f16-i8',
} as const;

/**
 * How v and the running sums travel (docs/algorithms.md 1.7). Whole values (v float32, running sums
 * float64) need no handshake; every other dtype carries a delta against a base the receiver
 * acknowledged (rfast-bases.ts), coded with a per-block scale. Deltas shrink as training settles,
 * so their rounding does too: the peers still reach the exact optimum, which a rounded v sent whole
 * would not allow. The sender keeps a running sum's rounding residual in its own tracker, so the
 * conservation law of section 1.4 stays exact.
 */
export interface RfastEncoding {
  readonly v: typeof Dtype.F32 | typeof Dtype.F16 | typeof Dtype.BF16 | typeof Dtype.I8;
  readonly rho: typeof Dtype.F64 | typeof Dtype.F32 | typeof Dtype.I8;
}

export const RFAST_ENCODINGS = {
  /** The original frames: v float32, running sums float64, whole (12 bytes per coordinate and link). */
  f32: { v: Dtype.F32, rho: Dtype.F64 },
  /** v float16 deltas, running-sum int8 deltas (3 bytes per coordinate and link). */
  'f16-i8': { v: Dtype.F16, rho: Dtype.I8 },
  /** v bfloat16 deltas (coarser mantissa, float32's range), running-sum int8 deltas (3 bytes). */
  'bf16-i8': { v: Dtype.BF16, rho: Dtype.I8 },
  /** v and running sums as int8 deltas (2 bytes). */
  i8: { v: Dtype.I8, rho: Dtype.I8 },
  /** v float16 deltas, running-sum float32 deltas (6 bytes). */
  'f16-f32': { v: Dtype.F16, rho: Dtype.F32 },
} as const satisfies Record<string, RfastEncoding>;

export type RfastEncodingName = keyof typeof RFAST_ENCODINGS;

export const RFAST_ENCODING_NAMES = Object.keys(RFAST_ENCODINGS) as [RfastEncodingName, ...RfastEncodingName[]];
