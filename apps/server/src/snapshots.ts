import type { PeerId } from '@starling/core';
import type { Evaluation, EvaluationVerdict, TaskSamples } from '@starling/protocol';
import type { EvalArrays } from '@starling/tasks';
import { chanceLossOf, judgeSnapshot, NormConsensus, type ParamStats } from './checkpoint-gate';
import type { ServerCounters } from './counters';
import { SnapshotEvaluator, type Measurement, type Snapshot } from './evaluator';
import type { ModelRuntime } from './model-runtime';
import { makeSamples } from './samples';
import type { Store } from './store';
import type { ServerTuning } from './tuning';

/**
 * What happens to an accepted snapshot: it is evaluated (newest wins), judged by the trust checks
 * (`checkpoint-gate.ts`), stored with its verdict and broadcast, and it may become the run's
 * checkpoint. A checkpoint is what joiners, a restarted run and the model download start from, so
 * only a trusted snapshot becomes one, and at most every `checkpointMinIntervalMs`. A rejected
 * snapshot is stored as such with its reason, and its peer is flagged.
 */

/** A snapshot as uploaded: the parameters plus what the upload measured of them. */
export interface UploadedSnapshot extends Snapshot {
  stats: ParamStats;
  /** Norm of the run's initial model (the trust checks' fixed reference). */
  initialNorm: number;
}

export interface SnapshotPipelineOptions {
  store: Store;
  runtime: ModelRuntime;
  evalArrays: (runId: string, max: number) => Promise<EvalArrays>;
  counters: ServerCounters;
  tuning: ServerTuning;
  clock: () => number;
  samplesOf: (runId: string) => number;
  /** Tell observers. */
  broadcast: (e: Evaluation) => void;
  /** Hold a rejected snapshot against its peer. */
  flag: (runId: string, peerId: PeerId, reason: string) => void;
  log: (line: string) => void;
}

export class SnapshotPipeline {
  private readonly evaluator: SnapshotEvaluator<UploadedSnapshot>;
  private consensus: { runId: string; norms: NormConsensus } | undefined;
  /** The latest samples of each run's evaluated snapshots (only the current run gets new ones). */
  private readonly latestSamples = new Map<string, TaskSamples>();
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly o: SnapshotPipelineOptions) {
    this.evaluator = new SnapshotEvaluator<UploadedSnapshot>({
      runtime: o.runtime,
      evalArrays: o.evalArrays,
      testCount: o.tuning.evalTestCount,
      chunkSize: o.tuning.evalBatchSize,
      chunkMs: o.tuning.evalChunkMs,
      minIntervalMs: o.tuning.minEvalIntervalMs,
      clock: o.clock,
      samplesOf: o.samplesOf,
      onResult: (e, s) => this.onResult(e, s),
      onError: (err, s) => {
        o.counters.evaluationErrors++;
        o.log(`evaluation of peer ${s.peerId}'s snapshot (run ${s.runId}) failed: ${(err as Error).message ?? String(err)}`);
      },
      onSuperseded: () => {
        o.counters.snapshotsSuperseded++;
      },
    });
  }

  accept(s: UploadedSnapshot): void {
    this.o.counters.snapshotsAccepted++;
    // Every plausible upload informs the consensus, evaluated or not (a newer one may replace it).
    if (s.stats.norm <= s.initialNorm * this.o.tuning.checkpointMaxNormVsInitial) this.normsOf(s.runId).note(s.peerId, s.stats.norm, s.receivedAt);
    this.evaluator.submit(s);
  }

  /** Waits for an evaluation in progress to be stored; later snapshots are dropped. */
  async close(): Promise<void> {
    await this.evaluator.close();
    await this.sampling;
  }

  /** The latest samples of a run, if one of its snapshots was evaluated by this process. */
  samples(runId: string): TaskSamples | undefined {
    return this.latestSamples.get(runId);
  }

  /** Predictions on a few test images, or a generated line, from the snapshot just evaluated. */
  private makeSamples(e: Evaluation, s: Snapshot): void {
    const { runtime, tuning, log, counters } = this.o;
    this.sampling = this.sampling.then(async () => {
      try {
        const [trainer, test] = await Promise.all([runtime.trainerFor(s.task.model), this.o.evalArrays(s.runId, tuning.samples.images)]);
        const made = await makeSamples(trainer, s.task, test, s.params, tuning.samples, e.snapshotSteps);
        this.latestSamples.set(s.runId, { runId: s.runId, t: this.o.clock(), peerId: s.peerId, snapshotSteps: s.steps, ...made });
      } catch (err) {
        counters.evaluationErrors++;
        log(`samples of peer ${s.peerId}'s snapshot (run ${s.runId}) failed: ${(err as Error).message}`);
      }
    });
  }

  private normsOf(runId: string): NormConsensus {
    if (this.consensus?.runId !== runId) this.consensus = { runId, norms: new NormConsensus(this.o.tuning.checkpointConsensusWindowMs) };
    return this.consensus.norms;
  }

  private onResult(m: Measurement, s: UploadedSnapshot): void {
    const { counters, store, log, tuning } = this.o;
    counters.evaluations++;
    let verdict: EvaluationVerdict = 'rejected';
    let reason: string | null = null;
    try {
      const judged = judgeSnapshot(m, s.stats, {
        best: store.evaluations.bestSince(s.runId, m.t - tuning.checkpointBestWindowMs),
        chanceLoss: chanceLossOf(s.task.model),
        initialNorm: s.initialNorm,
        consensus: this.normsOf(s.runId).of(s.peerId, m.t),
      }, tuning);
      if (judged.trusted) verdict = this.checkpointDue(s) ? 'checkpoint' : 'trusted';
      else reason = judged.reason;
    } catch (err) {
      // Judging failed (the database): the snapshot is not trusted.
      counters.storeErrors++;
      reason = `could not be judged: ${(err as Error).message}`;
    }
    const e: Evaluation = { ...m, loss: Number.isFinite(m.loss) ? m.loss : null, verdict, reason, paramNorm: s.stats.norm, maxAbs: s.stats.maxAbs };
    try {
      store.batch(() => {
        store.evaluations.insert(e, m.loss);
        if (verdict === 'checkpoint') {
          store.checkpoints.insert({ runId: s.runId, t: s.receivedAt, peerId: s.peerId, steps: s.steps, accuracy: m.accuracy, loss: m.loss }, s.params, tuning.checkpointsKept);
        }
      });
      if (verdict === 'checkpoint') counters.checkpointsSaved++;
      else if (verdict === 'trusted') counters.checkpointsSkipped++;
    } catch (err) {
      counters.storeErrors++;
      log(`storing the evaluation of peer ${s.peerId}'s snapshot failed: ${(err as Error).message}`);
    }
    if (verdict === 'rejected') {
      counters.snapshotsRejected++;
      this.o.flag(s.runId, s.peerId, `snapshot at step ${s.steps} rejected: ${reason}`);
      log(`peer ${s.peerId}'s snapshot (step ${s.steps}) rejected as a checkpoint: ${reason}`);
    }
    log(
      `evaluated peer ${e.peerId}'s snapshot (step ${e.snapshotSteps}, ${e.snapshotAgeMs} ms old): ${m.accuracy === null ? '' : `accuracy ${m.accuracy.toFixed(4)}, `}loss ${m.loss.toFixed(4)} on ${e.testCount} test examples in ${e.evalMs} ms: ${verdict}`,
    );
    this.o.broadcast(e);
    // The dashboard shows what trusted models do; a rejected snapshot's guesses are not worth showing.
    if (verdict !== 'rejected') this.makeSamples(e, s);
  }

  /** No checkpoint of the run yet, or the last one is at least `checkpointMinIntervalMs` older. */
  private checkpointDue(s: UploadedSnapshot): boolean {
    const last = this.o.store.checkpoints.latestMeta(s.runId);
    return last === undefined || s.receivedAt - last.t >= this.o.tuning.checkpointMinIntervalMs;
  }
}
