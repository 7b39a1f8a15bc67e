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
   * A base serves at least this many of our steps before the next frame proposes a new one.
   * Proposing at every chance made every other frame a `keep` when links keep up with the steps,
   * and its receiver answered each with an acknowledgement: a third of a peer's frames, and as many
   * calls into the WebRTC stack as the neighbours' frames it used (six headless peers on two cores).
   * Counted in steps, not sends, so that on a slow uplink, where a block goes out only every
   * several steps, every send may still propose and bases stay as fresh as before.
   */
  candidateGapSteps: 4,
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
   * slower than training alone. Measured (BENCHMARKS.md sections 1 and 3), MNIST MLP, home links:
   * - simulator, 8 peers, average model after 1,500 steps at lr 0.4, non-IID (2 classes per peer):
   *   share 0.1: 45.7%, 0.02: 76.7%, 0.005: 78.2%; IID after 300 steps: 90.5% / 92.1% / 92.4%
   *   (solo 92.4%). The spec's share at its best lr (0.1) reached 85% in no scenario.
   * - 4 real tabs, one 4x slower, every tab to 90% (3 seeds): 0.1: 59.2 s [33.2-67.2], 0.02:
   *   41.9 s [35.0-45.6].
   * The smaller the share, the more a peer descends along its own shard's gradient between pushes,
   * and the slower the exact convergence on a heterogeneous problem (sim/rfast.convergence.test.ts
   * runs 0.1 and the spec's share; after a membership change 0.1 took about 25 times as long as the
   * spec's). Below 0.02 the figures above hardly move, so 0.02 keeps the tracker moving. Any share
   * in (0, 1] keeps the invariant.
   */
  pushShare: 0.02,
  /**
   * A send budget, off by default (1): each step adds this share of a target's slots (one per kind
   * and block) to that target's send credit, and a frame leaves only against a whole unit of it
   * (rfast-sends.ts); the credit holds at most `sendCarrySteps` steps' worth. Newest-wins slots
   * already let the link decide how much goes, but a frame also costs CPU at both ends (encoding,
   * the browser's WebRTC stack, decoding, mixing), which a tab takes from its gradients when its
   * cores are busy. 4 real tabs on 2 cores, one 4x slower, share 0.02, to 90% in every tab (3 seeds,
   * BENCHMARKS.md section 3): on loopback the tabs sent ~220 kB per step and reached 90% in 58.4 s;
   * on home links ~80 kB and 41.9 s; with the uplink capped at 500 kB/s, 17 kB and 24.5 s. Not the
   * default: on the star and the tree, where consensus and tracker mass all pass through a few
   * peers, budgets of 1/16 to 1/2 left the exact least-squares optimum unreached or diverged
   * (sim/rfast.convergence.test.ts's cases at push share 0.1); on the exponential graph 1/4 and 1/2
   * converged in the tests' time and 1/16 did not (2.4e-5 off). RFast.setSendShare changes it at run
   * time: the peer runtime's adaptive budget (packages/peer send-budget.ts, off by default). The
   * peer runtime runs 1/8 when a run sets none (packages/peer DEFAULT_TUNING.defaultSendShare):
   * there frames cost CPU that the simulator does not charge.
   */
  sendShare: 1,
  /** Steps' worth of send credit a peer may hold under a budget (see sendShare). */
  sendCarrySteps: 2,
  /**
   * Receiver pacing (rfast-pace.ts), opt-in: with paceMargin > 0 a target that steps r times per
   * step of ours gets min(1, paceMargin * r) of its slots per step, so every block reaches it about
   * paceMargin times between two of its steps; 0 (the default) sends what the link takes.
   * Measured at 4 (BENCHMARKS.md section 4, "who steps"): six headless peers on two cores reached
   * 90% in 121.8-181.0 s in three runs (124.1-234.2 s without), and the simulator's home preset
   * gave equal or better medians over 3 seeds in every scenario but the pauses' 85%. Not the
   * default yet: pace frames move the realisations of tests whose thresholds were measured on one
   * run each, and those need measuring again first.
   */
  paceMargin: 0,
  /**
   * A degree budget, opt-in (0, the default: off): a peer sends at most this many models' worth of
   * slots per step, split evenly among its targets (each gets min(1, degreeBudget / targets) of
   * its slots, through the sendShare credit). A grown graph keeps its first peers at twice the last
   * joiner's links, and where each frame costs the sender event-loop time (Node's WebRTC on a
   * loaded machine) the best-connected peers stepped least. At 2, six headless peers on two cores
   * spread 3.7-4.4x in steps instead of about 6x and reached 90% in 116.3-138.8 s in three runs
   * (BENCHMARKS.md section 4, "who steps"). Opt-in for the same reason as sendShare: budgets left
   * the exact optimum unreached on the star and the tree.
   */
  degreeBudget: 0,
  /**
   * With pacing on, a peer tells its in-neighbours its step count on its first step and then every
   * this many steps: the estimate counts step differences, so fewer beacons only make it adapt
   * later, while one per step is a reliable frame per in-neighbour per step, and on a shaped
   * uplink a queued one holds the link's next model block back (a link takes a slot only when its
   * queue is empty).
   */
  paceEverySteps: 4,
  /** The least share a paced target gets per step (one far slower than us still hears from us). */
  paceMinShare: 1 / 16,
  /** Weight of the newest observation in a target's smoothed step rate (one per beacon heard between two of our steps). */
  paceSmoothing: 0.3,
  /** Most steps one beacon may report: a lying or reset counter moves the rate by a bounded amount. */
  paceMaxStepsPerBeacon: 64,
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
  readonly v: typeof Dtype.F32 | typeof Dtype.F16 | typeof Dtype.BF16 | typeof Dtype.I8 | typeof Dtype.I4;
  readonly rho: typeof Dtype.F64 | typeof Dtype.F32 | typeof Dtype.I8 | typeof Dtype.I4;
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
  /** v and running sums as int4 deltas (1 byte per coordinate and link; see quantize.ts). */
  i4: { v: Dtype.I4, rho: Dtype.I4 },
  /** v as int8 deltas, running sums as int4 deltas (1.5 bytes). */
  'i8-i4': { v: Dtype.I8, rho: Dtype.I4 },
  /** v as int4 deltas, running sums as int8 deltas (1.5 bytes). */
  'i4-i8': { v: Dtype.I4, rho: Dtype.I8 },
  /** v float16 deltas, running-sum float32 deltas (6 bytes). */
  'f16-f32': { v: Dtype.F16, rho: Dtype.F32 },
} as const satisfies Record<string, RfastEncoding>;

export type RfastEncodingName = keyof typeof RFAST_ENCODINGS;

export const RFAST_ENCODING_NAMES = Object.keys(RFAST_ENCODINGS) as [RfastEncodingName, ...RfastEncodingName[]];
