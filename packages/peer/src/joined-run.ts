import type { Algorithm, Envelope, PeerId } from '@starling/core';
import { pathTo, type RunConfig, type WelcomePayload } from '@starling/protocol';
import type { PeerRuntimeTuning } from './config';
import type { Training } from './compute';
import type { ControlMessage } from './control';
import { PeerError } from './errors';
import { handoffEnvelopes } from './handoff';
import { ModelAverage } from './model-average';
import { runSendShare, SendBudget } from './send-budget';
import type { Placement, RunNetwork } from './run-network';
import { uploadSnapshot } from './server-uploads';
import { StepLoop, type StepCounters } from './step-loop';
import { yieldToEventLoop } from './yield';

/** What a joined run reports back to the runtime that shows its status. */
export interface JoinedRunHooks {
  now: () => number;
  tuning: PeerRuntimeTuning;
  serverUrl: string;
  /** Use the device this many times more slowly than it can (>= 1). */
  slowdown: number;
  onStep: (c: StepCounters) => void;
  onAccuracy: (accuracy: number) => void;
  onDiverged: (e: PeerError) => void;
  /** A start-up mark (the first gradient asked for, and back), for the status's timeline. */
  mark: (what: string) => void;
}

/** Everything one welcome needs to train, all present: the runtime builds it only then. */
export interface JoinedRunParts {
  welcome: WelcomePayload;
  network: RunNetwork;
  training: Training;
  algo: Algorithm;
  /** The step counters of this run's previous welcome (a rejoin goes on counting). */
  counters?: StepCounters;
}

/** What a rejoin of the same run keeps from the welcome before it (the training is the runtime's). */
export interface KeptFromRun {
  counters: StepCounters;
  model: Float32Array;
}

/**
 * One welcome of one run: its config, algorithm, network, local training and step loop. A new
 * welcome (a rejoin, or another run) ends this one and builds the next.
 */
export class JoinedRun {
  readonly config: RunConfig;
  readonly peerId: PeerId;
  readonly runId: string;
  readonly algo: Algorithm;
  readonly network: RunNetwork;
  readonly training: Training;
  readonly loop: StepLoop;
  private readonly uploadToken: string;
  private wakeLoop: (() => void) | null = null;
  private started = false;
  /** What the peer evaluates and uploads (null: its latest model; config.modelAverageSteps). */
  private readonly average: ModelAverage | null;
  /** The adaptive send budget of a slot algorithm (send-budget.ts); null for the others or when tuned off. */
  readonly sendBudget: SendBudget | null;
  /** A slot algorithm's send share as the run starts (runSendShare); null for the others. */
  private readonly runShare: number | null;

  constructor(parts: JoinedRunParts, private readonly hooks: JoinedRunHooks) {
    const w = parts.welcome;
    this.config = w.config;
    this.peerId = w.peerId;
    this.runId = w.runId;
    this.uploadToken = w.uploadToken;
    this.algo = parts.algo;
    this.network = parts.network;
    this.training = parts.training;
    // modelAverageSteps counts gradients; with inner steps each of our steps is innerSteps of them.
    const averageSteps = Math.max(1, Math.round(this.config.modelAverageSteps / this.config.innerSteps));
    this.average = this.config.modelAverageSteps > 0 ? new ModelAverage(this.algo.dim, averageSteps) : null;
    this.runShare = this.algo.setSendShare === undefined ? null : (runSendShare(this.config, hooks.tuning.defaultSendShare) ?? 1);
    this.sendBudget = this.runShare !== null && hooks.tuning.sendBudget.computeShareTarget > 0 ? new SendBudget(hooks.tuning.sendBudget, this.runShare) : null;
    this.loop = this.buildLoop(parts.counters);
    this.network.attach({ algo: this.algo, wake: () => this.wakeLoop?.(), control: (from, msg) => this.onControl(from, msg) });
  }

  /** The share of its slots a slot algorithm sends per step now (the budget's, else the run's); null for the others. */
  get sendShare(): number | null {
    return this.sendBudget?.current ?? this.runShare;
  }

  start(paused: boolean): void {
    this.loop.setPaused(paused);
    this.started = true;
    this.loop.start();
  }

  /** A new epoch of the same run: the algorithm follows it, then the links do. */
  onEpoch(p: Placement): void {
    this.network.router.send(this.algo.setEpoch(p.epoch, p.neighbours));
    this.network.follow(p);
  }

  /**
   * Our lists changed within the epoch (the server sends grow events only for algorithms that have
   * `grow`): joiners were attached to us, or the `departed` neighbours left and others were linked
   * to us instead. The algorithm changes its links and keeps its state (R-FAST unwinds what it
   * exchanged with a leaver), then the links follow. False, with nothing changed, when the
   * algorithm cannot take these lists (it has no `grow`, or they drop a link of a peer that did
   * not leave): the caller joins again for a consistent placement.
   */
  onGrow(p: Placement, departed: readonly PeerId[]): boolean {
    if (this.algo.grow === undefined) return false;
    let out: Envelope[];
    try {
      out = this.algo.grow(p.neighbours, departed);
    } catch {
      return false;
    }
    this.network.router.send(out);
    this.network.follow(p);
    return true;
  }

  /**
   * The server evaluates uploaded snapshots itself, so its accuracy never rests on our word.
   * True when uploaded, false when it failed (the server may be restarting; the next interval
   * tries again), null before our first step (nothing to upload).
   */
  async uploadSnapshot(): Promise<boolean | null> {
    if (this.loop.counters.steps === 0) return null;
    const url = new URL(pathTo('snapshots', { runId: this.runId }), this.hooks.serverUrl).href;
    try {
      await uploadSnapshot(url, this.peerId, this.uploadToken, this.loop.counters.steps, this.reported());
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stop training and close the links; resolves, once the step in progress is over, with what the
   * next welcome of this run goes on from. The local training is the runtime's (it outlives a
   * rejoin), so it is not disposed here.
   */
  async leave(): Promise<KeptFromRun> {
    this.network.close();
    await this.loop.stop();
    return { counters: this.loop.counters, model: this.algo.model().slice() };
  }

  /**
   * A joiner asked for our model: hand it over once our loop runs (a peer still syncing has no
   * model worth copying; one that has not stepped yet, e.g. in a paused run, hands over x0).
   */
  private onControl(from: PeerId, msg: ControlMessage): void {
    if (msg.t !== 'model-req' || !this.started) return;
    this.network.router.send(handoffEnvelopes(this.peerId, from, msg.id, this.network.placement.epoch, this.algo.model(), this.config.blockSize));
  }

  private buildLoop(counters: StepCounters | undefined): StepLoop {
    const { hooks, config: cfg, training } = this;
    const slowdown = Math.max(1, hooks.slowdown);
    const mesh = this.network.mesh;
    return new StepLoop({
      algorithm: () => this.algo,
      counters,
      gradient: async (x, out) => {
        const t = hooks.now();
        const first = this.loop.counters.steps === 0;
        if (first) hooks.mark('gradient asked');
        const loss = await training.gradient(x, out);
        if (first) hooks.mark('gradient back');
        if (slowdown > 1) await new Promise((r) => setTimeout(r, (slowdown - 1) * (hooks.now() - t)));
        return loss;
      },
      send: (out) => this.network.router.send(out),
      now: hooks.now,
      waitForWork: (ms) => new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.wakeLoop = done;
      }),
      idleWaitMs: hooks.tuning.idleWaitMs,
      stallMs: hooks.tuning.stallMs,
      yieldNow: yieldToEventLoop,
      maxGradientRetries: hooks.tuning.maxGradientRetries,
      // An algorithm with slots (R-FAST) never waits for the network: its scheduler sends what the
      // links can take. Only envelope algorithms pace to their uplink.
      congested: () => !this.algo.slots && mesh.congested(hooks.tuning.paceFraction * cfg.maxBufferedBytes),
      maxPaceMs: hooks.tuning.maxPaceMs,
      paceCheckMs: hooks.tuning.paceCheckMs,
      onStep: () => this.afterStep(),
      onDiverged: (tries) => hooks.onDiverged(new PeerError('diverged', `${tries} minibatches in a row gave a non-finite gradient`)),
    });
  }

  /** The model this peer evaluates and uploads: its average when it keeps one and that has begun (ModelAverage: after a window of steps since this welcome). */
  reported(): Float32Array {
    return this.average !== null && this.average.count > 0 ? this.average.value() : this.algo.model().slice();
  }

  private afterStep(): void {
    this.average?.update(this.algo.model());
    const c = this.loop.counters;
    const share = this.sendBudget?.update(c) ?? null;
    if (share !== null) this.algo.setSendShare?.(share);
    const cfg = this.config;
    this.hooks.onStep(c);
    if (cfg.maxSteps > 0 && c.steps >= cfg.maxSteps) void this.loop.stop();
    if (cfg.evalEverySteps > 0 && c.steps % cfg.evalEverySteps === 0) void this.evaluate();
  }

  private async evaluate(): Promise<void> {
    const acc = await this.training.accuracy(this.reported(), this.config.evalSamples);
    if (acc !== null) this.hooks.onAccuracy(acc);
  }
}
