/**
 * Receiver pacing for R-FAST's sends (docs/algorithms.md 1.7): a peer uses only the newest block of
 * each neighbour, and only when it steps, so every frame a neighbour sends it between two of its
 * steps but the last is wasted: bytes on the sender's uplink, and CPU at both ends (encoding, the
 * WebRTC stack, decoding, the acknowledgements of compact frames). A fast peer next to a slow one
 * sent it up to ten times what it could use, and the slow one spent its time receiving and
 * acknowledging instead of stepping, which slowed it further (six headless peers on two cores,
 * e2e/cluster.spec.ts: 116-1,662 steps each).
 *
 * So each peer tells its in-neighbours its step count (an RfastPace frame, reliable, every
 * RFAST_DEFAULTS.paceEverySteps steps),
 * and each sender learns, per target, how many steps the target takes per step of its own. A target
 * slower than the sender gets `margin` times its own step rate in slots per step (every block at
 * least once between two of its steps, on average `margin` times); a target as fast or faster, or
 * one never heard from, gets what the link takes, as before. Counting the step counts' differences
 * rather than the frames makes the estimate blind to lost or merged beacons, and a jump is bounded,
 * so a lying neighbour can only make us send it as much as an unpaced link would. Opt-in
 * (RFAST_DEFAULTS.paceMargin says why).
 */
import { RFAST_DEFAULTS } from './rfast-config';
import { seqOrder } from './robust-config';

/** Not heard from yet. */
const UNKNOWN = -1;

export class PaceTracker {
  /** Per target: the newest step count heard (UNKNOWN: none yet). */
  private readonly lastStep: Float64Array;
  /** Per target: steps it reported that are not in its rate yet, and our steps since its rate last moved. */
  private readonly stepsSince: Float64Array;
  private readonly ownSince: Float64Array;
  /** Per target: its smoothed steps per step of ours (UNKNOWN: not measured yet). */
  private readonly rate: Float64Array;
  /** Per target: the share of its slots that may leave per step of ours (1: unpaced). */
  readonly share: Float64Array;

  constructor(
    readonly targets: readonly number[],
    private readonly margin: number,
  ) {
    const n = targets.length;
    this.lastStep = new Float64Array(n).fill(UNKNOWN);
    this.stepsSince = new Float64Array(n);
    this.ownSince = new Float64Array(n);
    this.rate = new Float64Array(n).fill(UNKNOWN);
    this.share = new Float64Array(n).fill(1);
  }

  /** Pacing is on (margin > 0). */
  get active(): boolean {
    return this.margin > 0;
  }

  /**
   * Target `from` says it has taken `step` steps. False for a frame that tells nothing new (not a
   * target, off, or not newer than the one heard), which the caller counts as stale.
   */
  heard(from: number, step: number): boolean {
    const t = this.targets.indexOf(from);
    if (t < 0 || !this.active) return false;
    const last = this.lastStep[t];
    if (last === UNKNOWN) {
      this.lastStep[t] = step;
      this.ownSince[t] = 0;
      return true;
    }
    const order = seqOrder(step, last);
    if (order === 'older') return false;
    // A jump (or a resync after a counter reset) counts as the most steps one beacon may report.
    const steps = order === 'newer' ? Math.min(step - last, RFAST_DEFAULTS.paceMaxStepsPerBeacon) : RFAST_DEFAULTS.paceMaxStepsPerBeacon;
    this.lastStep[t] = step;
    this.stepsSince[t] += steps;
    return true;
  }

  /**
   * We took a step. A target heard from since its rate last moved gets a new observation: the
   * steps it reported over ours in between (exact for a steady target, however its beacons fall
   * between our steps). A target that goes quiet keeps the rate it had: beacons can queue behind
   * data on a busy uplink and arrive in bursts, and a version that cut a quiet target's share
   * changed nothing measurable in the simulator's home preset, so the estimator stays simple. A
   * paused target costs at most what it cost before pacing.
   */
  stepTaken(): void {
    if (!this.active) return;
    const a = RFAST_DEFAULTS.paceSmoothing;
    for (let t = 0; t < this.rate.length; t++) {
      if (this.lastStep[t] === UNKNOWN) continue;
      const own = ++this.ownSince[t];
      if (this.stepsSince[t] > 0) {
        const seen = this.stepsSince[t] / own;
        this.rate[t] = this.rate[t] === UNKNOWN ? seen : this.rate[t] + a * (seen - this.rate[t]);
        this.stepsSince[t] = 0;
        this.ownSince[t] = 0;
      }
      if (this.rate[t] === UNKNOWN) continue;
      this.share[t] = Math.min(1, Math.max(RFAST_DEFAULTS.paceMinShare, this.margin * this.rate[t]));
    }
  }

  /** Steps target t takes per step of ours (smoothed), or null before we know. */
  rateOf(t: number): number | null {
    return this.rate[t] === UNKNOWN ? null : this.rate[t];
  }

  /** Links were only added (RFast.grow): targets kept keep what we know of them. */
  carry(old: PaceTracker): void {
    this.targets.forEach((id, t) => {
      const o = old.targets.indexOf(id);
      if (o < 0) return;
      this.lastStep[t] = old.lastStep[o];
      this.stepsSince[t] = old.stepsSince[o];
      this.ownSince[t] = old.ownSince[o];
      this.rate[t] = old.rate[o];
      this.share[t] = old.share[o];
    });
  }
}
