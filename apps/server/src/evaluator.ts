import type { PeerId } from '@starling/core';
import type { Evaluation, TaskInfo } from '@starling/protocol';
import type { EvalArrays } from '@starling/tasks';
import type { Trainer, ModelSpec } from '@starling/training';

/**
 * Evaluates uploaded snapshots on the test set, one at a time. Only the newest waiting snapshot
 * matters (a newer one replaces it), so a burst of uploads costs one evaluation, and evaluations
 * start at most every `minIntervalMs`. The test set is evaluated in chunks of about `chunkMs` with
 * a macrotask turn between them: wasm read-backs resolve as microtasks, so without that the event
 * loop (sockets, HTTP, heartbeats) would stall for the whole evaluation.
 */

export interface Snapshot {
  runId: string;
  peerId: PeerId;
  /** The peer's step count when it took the snapshot. */
  steps: number;
  /** The run's task: its model is what the params are for. */
  task: TaskInfo;
  /** Private copy; length = the spec's parameter count, all finite (checked on upload). */
  params: Float32Array;
  /** Server time the upload completed. */
  receivedAt: number;
}

/**
 * What the evaluator measured; the snapshot pipeline adds its verdict. `loss` is the raw mean and
 * may be NaN or Infinity for a broken model (the pipeline stores it as such and rejects it).
 */
export type Measurement = Omit<Evaluation, 'loss' | 'verdict' | 'reason' | 'paramNorm' | 'maxAbs'> & { loss: number };

/** What the evaluator needs of the model runtime (a stub in unit tests). */
export interface EvalRuntime {
  trainerFor(spec: ModelSpec): Promise<Pick<Trainer, 'evaluate' | 'io'>>;
}

export interface EvaluatorOptions<S extends Snapshot = Snapshot> {
  runtime: EvalRuntime;
  /** The first `max` test examples of the run's task (windows of a text), as the model reads them. */
  evalArrays: (runId: string, max: number) => Promise<EvalArrays>;
  /** Test examples per evaluation (capped by the set's size). */
  testCount: number;
  /** Examples per chunk at most between event-loop turns. */
  chunkSize: number;
  /**
   * How long one chunk may hold the event loop, ms. A chunk of 500 MNIST images takes a few ms,
   * one of 500 char-lm windows 2-3 s (a GRU's 32 time steps), long enough for every peer's
   * heartbeat to time out; so the first chunk is one example and each next one is sized from the
   * time per example measured so far.
   */
  chunkMs: number;
  /** Milliseconds, for sizing chunks (default performance.now). */
  timer?: () => number;
  minIntervalMs: number;
  clock: () => number;
  /** Run total of training samples now (for `Evaluation.samples`). */
  samplesOf: (runId: string) => number;
  onResult: (e: Measurement, s: S) => void;
  onError: (error: unknown, s: S) => void;
  /** A waiting snapshot was replaced by a newer one. */
  onSuperseded: (dropped: S) => void;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SnapshotEvaluator<S extends Snapshot = Snapshot> {
  private pending: S | undefined;
  private running: Promise<void> | undefined;
  private lastStart = -Infinity;
  private closed = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: EvaluatorOptions<S>) {}

  /** Queue a snapshot; it replaces one still waiting. */
  submit(s: S): void {
    if (this.closed) return;
    if (this.pending !== undefined) this.o.onSuperseded(this.pending);
    this.pending = s;
    this.kick();
  }

  private kick(): void {
    if (this.running !== undefined || this.closed) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // A snapshot submitted after the loop's last check but before this ran must not be stranded.
      if (this.pending !== undefined) this.kick();
    });
  }

  /** Stops taking work; resolves when an evaluation in progress has finished (and been reported). */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = undefined;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wake?.();
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined && !this.closed) {
      const wait = this.lastStart + this.o.minIntervalMs - this.o.clock();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.wakeTimer = setTimeout(resolve, wait);
          this.wakeTimer.unref();
        });
        this.wake = undefined;
        continue;
      }
      const s = this.pending;
      this.pending = undefined;
      this.lastStart = this.o.clock();
      try {
        const e = await this.evaluate(s);
        this.o.onResult(e, s);
      } catch (err) {
        this.o.onError(err, s);
      }
    }
  }

  private async evaluate(s: S): Promise<Measurement> {
    const [trainer, test] = await Promise.all([this.o.runtime.trainerFor(s.task.model), this.o.evalArrays(s.runId, this.o.testCount)]);
    const count = test.count;
    if (count === 0) throw new Error('the test set is empty');
    const { inputSize, targetSize } = trainer.io;
    // Timed from here: the first call also waits for the TF.js backend to start.
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let accuracy = true;
    const timer = this.o.timer ?? (() => performance.now());
    let chunk = 1;
    for (let start = 0; start < count; ) {
      const n = Math.min(chunk, count - start);
      const inputs = test.inputs.subarray(start * inputSize, (start + n) * inputSize);
      const targets = test.targets.subarray(start * targetSize, (start + n) * targetSize);
      const t0 = timer();
      const r = await trainer.evaluate(s.params, inputs, targets, n);
      const perExample = (timer() - t0) / n;
      chunk = perExample > 0 ? Math.max(1, Math.min(this.o.chunkSize, Math.floor(this.o.chunkMs / perExample))) : this.o.chunkSize;
      lossSum += r.loss * n;
      if (r.accuracy === null) accuracy = false;
      else correct += Math.round(r.accuracy * n * targetSize);
      start += n;
      await turn();
    }
    const t = this.o.clock();
    return {
      t,
      runId: s.runId,
      peerId: s.peerId,
      snapshotSteps: s.steps,
      snapshotAgeMs: Math.max(0, t - s.receivedAt),
      samples: this.o.samplesOf(s.runId),
      accuracy: accuracy ? correct / (count * targetSize) : null,
      loss: lossSum / count,
      testCount: count,
      evalMs: Math.round((performance.now() - started) * 10) / 10,
    };
  }
}
