import { ShardSampler, type DecodedSet } from '@starling/mnist';
import type { RunConfig } from '@starling/protocol';
import { Trainer } from '@starling/training';
import { downloadSet, type ProgressFn } from './data-loader';

/**
 * This peer's share of the work: its data shard, a minibatch sampler with preallocated buffers,
 * and the TF.js trainer. One instance per run.
 */
export class LocalTraining {
  private testSet: DecodedSet | null = null;
  private evaluating = false;

  private constructor(
    private readonly trainer: Trainer,
    private readonly sampler: ShardSampler,
    private readonly batchX: Float32Array,
    private readonly batchY: Int32Array,
    private readonly batchSize: number,
  ) {}

  static async create(
    cfg: RunConfig, peerId: number, shardUrl: string, testUrl: string, onProgress: ProgressFn,
  ): Promise<LocalTraining> {
    const shard = await downloadSet(shardUrl, {}, onProgress);
    const sampler = new ShardSampler(shard, { batchSize: cfg.batchSize, seed: cfg.seed + peerId });
    const trainer = await Trainer.create({ kind: 'mlp', hidden: cfg.model.hidden });
    const local = new LocalTraining(
      trainer, sampler, new Float32Array(cfg.batchSize * shard.rows * shard.cols), new Int32Array(cfg.batchSize), cfg.batchSize,
    );
    if (cfg.evalEverySteps > 0) {
      // The tab's own accuracy is informative only; the test set downloads in the background.
      downloadSet(testUrl, {}).then((t) => (local.testSet = t), () => {});
    }
    return local;
  }

  /** Gradient of the next minibatch at x, into out; NaN when it is not finite (the loop retries). */
  async gradient(x: Float32Array, out: Float32Array): Promise<number> {
    this.sampler.next(this.batchX, this.batchY);
    try {
      return await this.trainer.gradient(x, this.batchX, this.batchY, this.batchSize, out);
    } catch {
      return NaN;
    }
  }

  /** Accuracy on the first `n` test images, or null while the test set is still downloading. */
  async accuracy(x: Float32Array, n: number): Promise<number | null> {
    if (!this.testSet || this.evaluating) return null;
    this.evaluating = true;
    try {
      const r = await this.trainer.evaluate(x, this.testSet.images, this.testSet.labels, Math.min(n, this.testSet.count));
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
