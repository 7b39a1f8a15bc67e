/**
 * Tunables of the receive-side defences against hostile or broken peers (issue 13): magnitude
 * bounds checked before any arithmetic, the window of acceptable seq jumps, and the evidence a
 * runtime reports so the server can flag a sender. One object, so a runtime or a test sees every
 * limit in one place.
 */
export const ROBUST_DEFAULTS = {
  /**
   * Largest |value| a received model block (R-FAST's v, a baseline's x or model share) may hold.
   * Finite is not enough: a v of 1e30 mixed with weight 1/4 puts 2.5e29 in x, and the next
   * gradient overflows. No trained network has a weight near 1e6, so an honest peer never hits it.
   */
  maxAbsModel: 1e6,
  /**
   * Largest |value| a received running sum (R-FAST's rho, float64) may hold. Sums grow without
   * bound over a run, so this is far above any honest one (1e6 steps of |z| 1e3 give 1e9) and
   * far below float64's range: z += rhoNew - rhoTilde and x - lr z (rounded to float32) stay finite.
   */
  maxAbsRunningSum: 1e15,
  /**
   * Gradient sums of a ring all-reduce: only an overflow guard (sums of n gradients).
   */
  maxAbsGradientSum: 1e15,
  /**
   * Newest-wins rule, per (sender, kind, block): a frame whose seq is more than this far above the
   * newest one held is refused (a sender that jumps its seq would otherwise make all its later
   * frames "stale" for good), and a frame more than this far below it replaces it (the held seq
   * was such a jump, taken as the link's first frame). An honest sender's frame counter runs over
   * all its links and blocks, so gaps of (links x blocks x lost rounds) are normal: 2^24 leaves
   * room for 100 blocks x 8 links x 20,000 lost rounds.
   */
  maxSeqJump: 2 ** 24,
  /** Senders tracked for evidence at most (a header's `from` is attacker-chosen; the map stays bounded). */
  maxEvidenceSenders: 4096,
  /**
   * Robust mixing (self-centred clipping, robust-clip.ts): the radius of a block is this multiple
   * of the lower median, over the senders heard, of each one's recent distance for that block. Honest neighbours' distances
   * differ by small factors (non-IID shards, delays); an attacker's sign flip or scaling is
   * hundreds of times the median. 3 leaves honest frames unclipped almost always (simulated:
   * BENCHMARKS.md, attack matrix) while a clipped frame moves the model by at most 3 medians times
   * its mixing weight.
   */
  clipMultiplier: 3,
  /**
   * A model frame whose cosine with the receiver's own block is below this (at most 0) is counted
   * as opposed (evidence, robust-evidence.ts), clipped or not. Honest peers start from one x0 and
   * mix each other's models, so their blocks point the same way: in the MNIST attack bench honest
   * gossip frames had cosines of 0.957-1.000. A sign-flipped model points the other way, and stays
   * there after its pull has dragged the honest models towards zero (their norm fell from 3.1 to
   * about 0.5 within 20 steps), where distance alone misses it: the flipped copies are then near,
   * and a gossip attacker's clipped share fell to 50-60% (BENCHMARKS.md section 5). Its cosines
   * were then -0.5..0 for most frames, so the bound is 0 rather than a stricter -0.5. Blocks with
   * a zero norm on either side count as not opposed.
   * A frame below this bound that is also beyond the clip radius is not mixed (the receiver's own
   * block stands in, robust-clip.ts): the drag towards zero never starts. In clean MNIST runs no
   * honest frame pointed against the receiver's (a probe over one clean gossip run, not committed:
   * none of about 38,000 frames).
   */
  opposedCosine: 0,
  /**
   * R-FAST: a sender's running sum is judged against our own outgoing one only while every other
   * sender's latest one on the block has at least this cosine with ours (rfast-mass-opposition.ts):
   * honest IID neighbours sat at 0.57-0.83 or more (10th percentiles), non-IID ones around 0, where
   * the test says nothing. Judged below opposedCosine, the frame counts as evidence against its
   * sender (SenderEvidence.massOpposed).
   */
  massAgreeCosine: 0.5,
  /**
   * A model frame below the receiver's own block in more than this share of the coordinates where
   * the two differ (or above it in more) counts as opposed too: SignGuard's sign statistics (Xu
   * et al. 2021), applied to models. "A little is enough" (ALIE) sends the mean minus z standard
   * deviations of the honest models: close enough to pass every distance and cosine test, and
   * harmful because its offset has the same sign in every coordinate, every step. Measured in the
   * MNIST attack bench (seed 1, 8 peers, 200 steps; a probe, not committed): 84% of D-PSGD's and
   * 79% of gossip's ALIE frames lay more than 0.75 to one side. Honest frames in clean IID runs
   * (one slow peer, pauses, home links too) lay at most 0.70-0.75 to one side, and on non-IID
   * shards up to 0.85-0.90: at most 4.7% of a run's frames above 0.75 (AD-PSGD on home links),
   * against the 30% share from two reporters that ejects (verdict.ejectOpposedShare). 0.8 would
   * leave a wider margin there but misses more of ALIE: at z = 1 from four honest models the
   * expected share is about 0.78.
   */
  skewShare: 0.75,
  /**
   * A model's clip radius is taken from the senders' lower median unless that is more than this
   * many times the lower median of their distances and the receiver's own 0 (robust-clip.ts
   * ClipRadius.radius): then a hostile majority among the senders set it. Honest spreads stayed
   * below 105 (MNIST, 8 peers, IID and non-IID, a slow peer, pauses, 30% loss: a probe, not
   * committed); two x1e6 model senders among 3 are about 1e6 times the honest one. An attacker
   * majority that stays within it still widens the radius up to 1000-fold: only the verdict
   * stops that.
   */
  hijackSpread: 1000,
  /** The one-sided test needs this many differing coordinates in the block (a small block says little). */
  skewMinCoords: 64,
  /** Frames each sender's recent distance averages over, about (an exponential average). */
  clipWindow: 9,
  /** Senders a receiver remembers distances of (in-neighbours over a few epochs); the least recently heard goes first. */
  clipSenders: 32,
  /**
   * R-FAST: a frame whose new tracker mass exceeds this multiple of the larger of the receiver's own
   * ||z|| + ||g|| on the block and the lower median of its senders' recent increments is refused as
   * hostile (running sums scaled by 1e6 would otherwise move z by any amount they like). Honest
   * new mass is a share of the sender's z, which tracks the same average gradient as ours, summed
   * over the frames lost since the last one; but a well-fitted batch can make our own gradient
   * small, so the margin is wide (at 1000, and before the guard on our own scale, three e2e specs
   * each counted one refused frame in a clean run: CI run s5-4).
   */
  massRefuseFactor: 10_000,
  /**
   * R-FAST: the refusal's scale is never below this share of the receiver's model block norm
   * (||v||), so only new tracker mass above massRefuseFactor x this = 1x the block's own model norm
   * is refused (a step along it would move the block by lr times its norm). Without it, blocks whose
   * gradient is mostly exactly 0 (MNIST's border pixels) refused honest mass: a clean
   * hostile-peer.spec run measured honest increments of 6e-4 against our own ||z|| + ||g|| of
   * 7e-6 to 1.4e-5 there (ratio 44-87, block norm 3.1), and one CI run ejected an honest tab after
   * an epoch reset (z = g) for three refused frames. x1e6 running sums stay far above it.
   */
  massRefuseModelShare: 1e-4,
  /**
   * A model frame that repeats its sender's previous one is a replay (frozen) unless every value
   * is within this relative distance of the receiver's own block (consensus on a block no gradient
   * touches). The repeats measured were bit-identical to the receiver's block; the margin, about 8
   * float32 roundings, is for copies that settle an ulp or so apart (reasoned, not observed).
   */
  consensusTolerance: 1e-6,
  /**
   * R-FAST: new tracker mass beyond this multiple of the lower median of the senders' recent
   * increments (two or more senders heard) is clipped to it; the rest of an honest sender's sum
   * comes with its next frame. The refusal above lets through anything below 10,000x our own
   * gradient, and an x1e6 running sum of a block with small increments (measured: 656 against a
   * z of 1.7) then wrecked z before the attacker was ejected. Wide, so senders with larger
   * gradients (non-IID shards) are not held back; an attacker feeds z at most this much per frame.
   */
  massClipMultiplier: 30,
  /**
   * Probation of a joiner first heard after the receiver counted afterSteps steps' worth of frames
   * (robust-evidence.ts): clipping of its model frames is not held against it until an average
   * over windowSteps' worth is mostly unclipped, or for at most maxSteps' worth (a frozen or
   * opposed frame ends it at once). In the simulator an honest joiner (least squares, 8 peers,
   * joined at 10 s) was clipped in 80 of its first 81 frames and 2 of the next 400; joiners that
   * kept x0 (the stalest checkpoint) were ejected in 10 of 18 runs without this, in none with it.
   * The price: a joiner that only adds noise is not ejected before maxSteps has passed (MNIST,
   * joined at step 50: 1.4 points instead of 0.7). BENCHMARKS.md section 5, "Joiners on
   * probation". In steps: the frame counts are these times the block count. maxSteps was 100
   * until R-FAST measured frames against its x instead of its v (rfast-links.ts PullClip): a
   * joiner's v holds its fresh tracker, and joined at 20 s it stayed clipped for about 130 of its
   * steps; at 100, 3 of 18 honest joiners were ejected (0 of 18 at 200).
   */
  probation: { afterSteps: 20, windowSteps: 2, maxSteps: 200 },
  /**
   * Who is convicted from several receivers' evidence (robust-verdict.ts; the server and the
   * simulator apply the same rule). Two distinct reporters, each with 3 frames refused for their
   * content (honest code sends none), or with half of at least 50 judged frames clipped, flag a
   * sender. Refusals eject it; clipping ejects it at 90% from two reporters: in the simulator
   * honest neighbours' model frames are clipped 0.1-11% of the time (MNIST, least squares at the
   * default push share), and a sign-flipping, scaling or noisy peer's nearly 100%. One verdict
   * ejects at most a quarter of the reporting peers (at least one), the best-evidenced first.
   * Clipping does not eject a sender whose own report holds more than half of the senders it
   * judged as mostly clipped: it is far from everyone, as an honest straggler is (a late joiner,
   * a starved peer), and everyone is far from it; the 16-peer bench lost honest peers to this.
   * Opposed frames (taken unclipped, pointing against the reporter's model) eject at 30% from two
   * reporters, with no straggler exception: honest frames are not opposed (robust-verdict.ts,
   * ejectOpposedShare). Nor does clipping eject a sender 4x ahead of its clipping reporters in
   * steps (aheadFactor): AD-PSGD's fast passive peers on home links were ejected so.
   */
  verdict: { minReporters: 2, minRefused: 3, clipShare: 0.5, minFrames: 50, ejectClipShare: 0.9, ejectOpposedShare: 0.3, maxEjectShare: 0.25, farFromAllShare: 0.5, aheadFactor: 4 },
} as const;

export type RobustDefaults = typeof ROBUST_DEFAULTS;

/**
 * True when every element is finite and |element| <= bound, in one pass: NaN fails `m <= bound`,
 * so no separate finiteness scan is needed. Four running maxima let the CPU overlap the work.
 */
export function allBounded(a: ArrayLike<number>, bound: number): boolean {
  const n = a.length;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    m0 = Math.max(m0, Math.abs(a[i]));
    m1 = Math.max(m1, Math.abs(a[i + 1]));
    m2 = Math.max(m2, Math.abs(a[i + 2]));
    m3 = Math.max(m3, Math.abs(a[i + 3]));
  }
  for (; i < n; i++) m0 = Math.max(m0, Math.abs(a[i]));
  return Math.max(m0, m1, m2, m3) <= bound;
}

/**
 * The newest-wins rule with a bounded jump (ROBUST_DEFAULTS.maxSeqJump): 'newer' (take it and
 * hold its seq), 'older' (stale, a normal reordering), 'jump' (refuse and count: too far ahead of
 * what is held), or 'resync' (take it: the held seq itself was a jump). `held` 0 means nothing
 * held yet: any seq is the first.
 */
export function seqOrder(seq: number, held: number, window: number = ROBUST_DEFAULTS.maxSeqJump): 'newer' | 'older' | 'jump' | 'resync' {
  if (seq > held) return held > 0 && seq - held > window ? 'jump' : 'newer';
  return held - seq > window ? 'resync' : 'older';
}

