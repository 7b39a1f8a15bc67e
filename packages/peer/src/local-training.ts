import type { RunConfig, TaskInfo } from '@starling/protocol';
import { taskEvalArrays, taskSampler, type BatchSampler, type EvalArrays } from '@starling/tasks';
import { createFastestTrainer, type BackendName, type BackendReport, type SelectBackendOptions, type Trainer } from '@starling/training';
import { downloadSet, type ProgressFn } from './data-loader';
import { localRound, localRoundScratch, type LocalRoundScratch } from './local-round';

/** Test examples (text windows) kept for the tab's own, informative evaluation. */
const LOCAL_EVAL_MAX = 10_000;

/**
 * This peer's share of the work: its data shard, a minibatch sampler with preallocated buffers,
 * and the TF.js trainer for the run's task. One instance per run.
 */
export class LocalTraining {
  private testSet: EvalArrays | null = null;
  private evaluating = false;
  private busy = 0;
  /** The local iterate and gradient of a round of several local steps (local-round.ts); made on first use. */
  private scratch: LocalRoundScratch | null = null;
  private scratchFor(dim: number): LocalRoundScratch {
    if (this.scratch?.x.length !== dim) this.scratch = localRoundScratch(dim);
    return this.scratch;
  }
  private readonly minibatchGradient = (x: Float32Array, g: Float32Array): Promise<number> => {
    this.sampler.next(this.batchX, this.batchY);
    return this.trainer.gradient(x, this.batchX, this.batchY, this.batchSize, g);
  };

  private constructor(
    private readonly trainer: Trainer,
    private readonly sampler: BatchSampler,
    private readonly batchX: Float32Array,
    private readonly batchY: Int32Array | Float32Array,
    private readonly batchSize: number,
    /** The run's innerSteps and lr: SGD steps taken here per gradient the step loop asks for. */
    private readonly innerSteps: number,
    private readonly lr: number,
  ) {}

  /**
   * `backends`: the candidates, each timed on the task's model (`createFastestTrainer`); the fastest
   * that trains it wins. One that cannot train the model (wasm: a conv net with strides other
   * than 1, see @starling/training's wasm-conv-grad.ts) is skipped.
   */
  static async create(
    cfg: RunConfig, task: TaskInfo, peerId: number, shardUrl: string, testUrl: string, onProgress: ProgressFn,
    backends: readonly BackendName[], backendOptions?: SelectBackendOptions, onTrial?: (backend: BackendName | null) => void,
  ): Promise<LocalTraining> {
    // The shard downloads while each backend is timed on the run's model: the volunteer waits for
    // the slower of the two, not for both.
    const [download, trial] = await Promise.allSettled([
      downloadSet(shardUrl, { layout: task.data.layout }, onProgress),
      createFastestTrainer(task.model, { backends, backendOptions, batchSize: cfg.batchSize, onTrial }).finally(() => onTrial?.(null)),
    ]);
    if (download.status === 'rejected') {
      if (trial.status === 'fulfilled') await trial.value.trainer.dispose();
      throw download.reason;
    }
    if (trial.status === 'rejected') throw trial.reason;
    const shard = download.value;
    const { trainer } = trial.value;
    const sampler = taskSampler(task, shard, cfg.batchSize, cfg.seed + peerId);
    const regression = trainer.io.objective.kind === 'regression';
    const local = new LocalTraining(
      trainer,
      sampler,
      new Float32Array(cfg.batchSize * sampler.inputSize),
      regression ? new Float32Array(cfg.batchSize * sampler.targetSize) : new Int32Array(cfg.batchSize * sampler.targetSize),
      cfg.batchSize,
      cfg.innerSteps,
      cfg.lr,
    );
    if (cfg.evalEverySteps > 0) {
      // The tab's own accuracy is informative only; the test set downloads in the background.
      downloadSet(testUrl, { layout: task.data.layout }).then((t) => (local.testSet = taskEvalArrays(task, t, LOCAL_EVAL_MAX)), () => {});
    }
    return local;
  }

  /** The backend the trainer runs on, and why the ones before it were not used. */
  get backendReport(): BackendReport | undefined {
    return this.trainer.backendReport;
  }

  /**
   * Gradient of the next minibatch at x, into out; NaN when it is not finite (the loop retries).
   * With the run's innerSteps H > 1: the sum of H local SGD steps' gradients from x (local-round.ts).
   */
  async gradient(x: Float32Array, out: Float32Array): Promise<number> {
    const t = performance.now();
    try {
      return await localRound(this.minibatchGradient, x, out, this.lr, this.innerSteps, () => this.scratchFor(x.length));
    } catch {
      return NaN;
    } finally {
      this.busy += performance.now() - t;
    }
  }

  /** Milliseconds spent in gradient() so far (Training.busyMs). */
  busyMs(): number {
    return this.busy;
  }

  /**
   * Accuracy on the first `n` test examples (null for a regression task, or while the test set is
   * still downloading).
   */
  async accuracy(x: Float32Array, n: number): Promise<number | null> {
    if (!this.testSet || this.evaluating) return null;
    this.evaluating = true;
    try {
      const t = this.testSet;
      const r = await this.trainer.evaluate(x, t.inputs, t.targets, Math.min(n, t.count));
      return r.accuracy;
    } catch {
      return null; // informative only; the server measures the accuracy that counts
    } finally {
      this.evaluating = false;
    }
  }

  dispose(): Promise<void> {
    return this.trainer.dispose();
  }
}
