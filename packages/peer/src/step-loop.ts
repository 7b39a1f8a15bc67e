import { allFinite, type Algorithm, type Envelope } from '@starling/core';

/** Computes the minibatch gradient at x into out and returns the minibatch loss. */
export type GradientFn = (x: Float32Array, out: Float32Array) => Promise<number>;

export interface StepCounters {
  steps: number;
  /** Gradients with NaN/Inf, discarded so they never reach the model or the neighbours. */
  discardedSteps: number;
  lastLoss: number | null;
  /** Time inside the gradient computation. */
  computeMs: number;
  /** Time in the algorithm's own work plus encoding and handing frames to the channels. */
  commMs: number;
  /** Time the algorithm was not ready (synchronous baselines waiting for their round). */
  blockedMs: number;
  /** Time spent letting our own outbound channels drain before a step (see pacing). */
  pacedMs: number;
  /** Time the loop has been training (running and not paused): the denominator of the compute share. */
  trainingMs: number;
}

export interface StepLoopDeps {
  algorithm: () => Algorithm;
  /** Go on counting from these (a rejoin of the same run keeps its totals); fresh ones by default. */
  counters?: StepCounters;
  gradient: GradientFn;
  send: (out: Envelope[]) => void;
  now: () => number;
  /** Resolves when a message arrives or after `ms`, whichever is first. */
  waitForWork: (ms: number) => Promise<void>;
  idleWaitMs: number;
  /**
   * After waiting this long on `ready()` in one go, the loop calls the algorithm's `stalled()` (an
   * AD-PSGD exchange whose passive peer went silent); 0: never.
   */
  stallMs: number;
  onStep?: (loss: number) => void;
  /** True while our outbound channels hold more than they can deliver before the next step. */
  congested: () => boolean;
  /** Longest wait for our channels to drain before a step anyway. */
  maxPaceMs: number;
  paceCheckMs: number;
  /** Give the event loop a turn between steps (see yield.ts). */
  yieldNow: () => Promise<void>;
  /** Fresh minibatches tried at one point before giving up on a non-finite gradient. */
  maxGradientRetries: number;
  /** Gradients stayed non-finite: the loop has stopped. */
  onDiverged: (tries: number) => void;
}

/**
 * Drives any core algorithm with real gradients. It never waits on the network for R-FAST
 * (always ready); for synchronous baselines "waiting" is `ready() === false` until messages
 * arrive, and the loop sleeps on `waitForWork` rather than spinning.
 */
export class StepLoop {
  readonly counters: StepCounters;
  private running = false;
  private paused = false;
  private grad: Float32Array;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly deps: StepLoopDeps) {
    this.counters = deps.counters ?? { steps: 0, discardedSteps: 0, lastLoss: null, computeMs: 0, commMs: 0, blockedMs: 0, pacedMs: 0, trainingMs: 0 };
    this.grad = new Float32Array(deps.algorithm().dim);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  /** Stop after the step in progress; resolves once the loop has exited. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  setPaused(p: boolean): void {
    this.paused = p;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private async run(): Promise<void> {
    const { deps } = this;
    /** When the current unbroken wait on ready() began (NaN: not waiting). */
    let waitingSince = Number.NaN;
    while (this.running) {
      const algo = deps.algorithm();
      if (this.paused || !algo.ready()) {
        const t = deps.now();
        if (this.paused) waitingSince = Number.NaN;
        else if (Number.isNaN(waitingSince)) waitingSince = t;
        else if (deps.stallMs > 0 && t - waitingSince >= deps.stallMs && algo.stalled !== undefined) {
          waitingSince = Number.NaN;
          deps.send(algo.stalled());
          continue;
        }
        await deps.waitForWork(deps.idleWaitMs);
        if (!this.paused) {
          this.counters.blockedMs += deps.now() - t;
          this.counters.trainingMs += deps.now() - t;
        }
        continue;
      }
      waitingSince = Number.NaN;
      const stepStart = deps.now();
      if (this.grad.length !== algo.dim) this.grad = new Float32Array(algo.dim);
      // Pace to our own uplink: stepping while our channels are still full only produces state
      // that backpressure skips, and neighbours then mix ever staler copies of our model. This
      // waits on our own network capacity (bounded), never on another peer.
      const paceStart = deps.now();
      while (deps.congested() && deps.now() - paceStart < deps.maxPaceMs && this.running) await deps.waitForWork(deps.paceCheckMs);
      this.counters.pacedMs += deps.now() - paceStart;
      let t = deps.now();
      deps.send(algo.beginStep());
      const x = algo.params();
      this.counters.commMs += deps.now() - t;
      t = deps.now();
      // A non-finite gradient (bad batch, flaky GPU) must never reach the model or the
      // neighbours. Skipping applyGradient would break the step protocol of the algorithm
      // (tracker, handshakes), so draw fresh minibatches at the same point instead.
      let loss = await deps.gradient(x, this.grad);
      let tries = 1;
      while ((!Number.isFinite(loss) || !allFinite(this.grad)) && tries < deps.maxGradientRetries && this.running) {
        this.counters.discardedSteps++;
        loss = await deps.gradient(x, this.grad);
        tries++;
      }
      this.counters.computeMs += deps.now() - t;
      // The algorithm may have been replaced (new epoch of a new run) while the gradient was computed.
      if (!this.running || deps.algorithm() !== algo) continue;
      if (!Number.isFinite(loss) || !allFinite(this.grad)) {
        this.counters.discardedSteps++;
        this.running = false;
        deps.onDiverged(tries);
        return;
      }
      t = deps.now();
      deps.send(algo.applyGradient(this.grad));
      this.counters.commMs += deps.now() - t;
      this.counters.steps++;
      this.counters.lastLoss = loss;
      deps.onStep?.(loss);
      await deps.yieldNow();
      this.counters.trainingMs += deps.now() - stepStart;
    }
  }
}
