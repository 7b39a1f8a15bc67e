import { algorithmDescriptor } from '@starling/core';
import type { RunConfig } from '@starling/protocol';
import type { StepCounters } from './step-loop';

/**
 * The send share a run's algorithm starts with in this runtime: the run config's, else
 * `defaultSendShare` (PeerRuntimeTuning) for an algorithm that takes one (R-FAST); undefined for
 * the others.
 */
export function runSendShare(cfg: Pick<RunConfig, 'algorithm' | 'algorithmOptions'>, defaultSendShare: number): number | undefined {
  const set = (cfg.algorithmOptions as { sendShare?: number }).sendShare;
  if (set !== undefined) return set;
  return algorithmDescriptor(cfg.algorithm).options.sendShare === undefined ? undefined : defaultSendShare;
}

/** How the runtime sizes a slot algorithm's send budget from what its frames cost (PeerRuntimeTuning.sendBudget). */
export interface SendBudgetTuning {
  /**
   * The share of its training time a peer's gradients should get; below it the budget shrinks,
   * above it (plus `band`) it grows back. 0: off (the run's share stands).
   */
  computeShareTarget: number;
  /** Dead band around the target, so that a share that meets it stays put. */
  band: number;
  /** Training time per measurement: long enough to hold tens of steps of a fast tab. */
  windowMs: number;
  /**
   * Steps a measurement needs besides `windowMs`: one step of a slow model (a conv net on a
   * software GPU: 1-3 s) is one noisy sample of the share, and a tab whose frames cost it 1% of
   * its time overall shrank its budget on single steps that got less than the target.
   */
  minSteps: number;
  /** The least share the budget goes to, so every block still reaches every neighbour. */
  minShare: number;
  /** Factor on the share when the window's compute share was below the target. */
  shrink: number;
  /** Factor on the share when it was above target + band. */
  grow: number;
}

/**
 * An adaptive send budget. In a browser a frame costs CPU at both ends (encoding and mixing on the
 * main thread, the WebRTC stack's threads, the browser's network process), taken from the same
 * cores as the gradients: four tabs of the MNIST MLP on two cores stepped 8.8-12.5 times a second
 * with every slot sent and 51.6-54.4 with a sixteenth (BENCHMARKS.md section 3). A fixed budget is wrong for
 * a peer whose frames cost little, so each window of training time compares the share the
 * gradients got (StepCounters.computeMs / trainingMs) with the target, and moves the budget by a
 * factor: down while frames eat the peer's time, back up while they do not. It only ever lowers
 * how often a slot leaves; every slot still goes, newest content first.
 */
export class SendBudget {
  private share: number;
  private at: { computeMs: number; trainingMs: number; steps: number } | null = null;

  /** `ceiling`: the run's own share (algorithmOptions.sendShare, 1 when it sets none). */
  constructor(private readonly t: SendBudgetTuning, private readonly ceiling = 1) {
    this.share = ceiling;
  }

  get current(): number {
    return this.share;
  }

  /** After a step: the new share when a window closed and moved it, else null. */
  update(c: StepCounters): number | null {
    if (!(this.t.computeShareTarget > 0)) return null;
    if (this.at === null || c.trainingMs < this.at.trainingMs || c.steps < this.at.steps) {
      this.at = { computeMs: c.computeMs, trainingMs: c.trainingMs, steps: c.steps };
      return null;
    }
    const dt = c.trainingMs - this.at.trainingMs;
    if (dt < this.t.windowMs || c.steps - this.at.steps < this.t.minSteps) return null;
    const got = (c.computeMs - this.at.computeMs) / dt;
    this.at = { computeMs: c.computeMs, trainingMs: c.trainingMs, steps: c.steps };
    const before = this.share;
    if (got < this.t.computeShareTarget) this.share = Math.max(this.t.minShare, this.share * this.t.shrink);
    else if (got > this.t.computeShareTarget + this.t.band) this.share = Math.min(this.ceiling, this.share * this.t.grow);
    return this.share === before ? null : this.share;
  }
}
