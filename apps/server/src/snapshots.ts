import type { EvalArrays } from '@starling/tasks';
import type { Evaluation } from '@starling/protocol';
import type { ServerTuning } from './config';
import { SnapshotEvaluator, type Snapshot } from './evaluator';
import type { ModelRuntime } from './model-runtime';
import type { ServerCounters } from './run';
import type { Store } from './store';

/**
 * What happens to an accepted snapshot: it is evaluated (newest wins), the evaluation is stored and
 * broadcast, and the snapshot may become the run's checkpoint. A checkpoint is what joiners and a
 * restarted run start from, so it is written at most every `checkpointMinIntervalMs` and only if
 * its server-measured accuracy has not dropped more than `checkpointMaxAccuracyDrop` below the
 * previous checkpoint's: one bad (or malicious) upload cannot become everyone's starting point.
 */

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
  log: (line: string) => void;
}

export type CheckpointDecision = 'saved' | 'too-soon' | 'accuracy-drop';

export class SnapshotPipeline {
  private readonly evaluator: SnapshotEvaluator;

  constructor(private readonly o: SnapshotPipelineOptions) {
    this.evaluator = new SnapshotEvaluator({
      runtime: o.runtime,
      evalArrays: o.evalArrays,
      testCount: o.tuning.evalTestCount,
      chunkSize: o.tuning.evalBatchSize,
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

  accept(s: Snapshot): void {
    this.o.counters.snapshotsAccepted++;
    this.evaluator.submit(s);
  }

  /** Waits for an evaluation in progress to be stored; later snapshots are dropped. */
  close(): Promise<void> {
    return this.evaluator.close();
  }

  private onResult(e: Evaluation, s: Snapshot): void {
    const { counters, store, log } = this.o;
    counters.evaluations++;
    try {
      store.evaluations.insert(e);
      const decision = this.checkpoint(e, s);
      if (decision === 'saved') counters.checkpointsSaved++;
      else counters.checkpointsSkipped++;
    } catch (err) {
      counters.storeErrors++;
      log(`storing the evaluation of peer ${s.peerId}'s snapshot failed: ${(err as Error).message}`);
    }
    log(
      `evaluated peer ${e.peerId}'s snapshot (step ${e.snapshotSteps}, ${e.snapshotAgeMs} ms old): ${e.accuracy === null ? '' : `accuracy ${e.accuracy.toFixed(4)}, `}loss ${e.loss.toFixed(4)} on ${e.testCount} test examples in ${e.evalMs} ms`,
    );
    this.o.broadcast(e);
  }

  private checkpoint(e: Evaluation, s: Snapshot): CheckpointDecision {
    const { store, tuning } = this.o;
    const last = store.checkpoints.latestMeta(s.runId);
    if (last !== undefined) {
      if (s.receivedAt - last.t < tuning.checkpointMinIntervalMs) return 'too-soon';
      if (e.accuracy !== null && last.accuracy !== null && e.accuracy < last.accuracy - tuning.checkpointMaxAccuracyDrop) {
        this.o.log(`peer ${s.peerId}'s snapshot not kept as checkpoint: accuracy ${e.accuracy.toFixed(4)} is far below the last checkpoint's ${last.accuracy.toFixed(4)}`);
        return 'accuracy-drop';
      }
      // Without an accuracy (regression) the loss gates: at most checkpointMaxLossRise above the last.
      if (e.accuracy === null && last.loss !== null && e.loss > last.loss * (1 + tuning.checkpointMaxLossRise)) {
        this.o.log(`peer ${s.peerId}'s snapshot not kept as checkpoint: loss ${e.loss.toFixed(4)} is far above the last checkpoint's ${last.loss.toFixed(4)}`);
        return 'accuracy-drop';
      }
    }
    store.checkpoints.insert(
      { runId: s.runId, t: s.receivedAt, peerId: s.peerId, steps: s.steps, accuracy: e.accuracy, loss: e.loss },
      s.params,
      tuning.checkpointsKept,
    );
    return 'saved';
  }
}
