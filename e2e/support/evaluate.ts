import { ensurePacked, loadPacked } from '@starling/mnist/node';
import type { DecodedSet } from '@starling/mnist';
import { Trainer, type ModelSpec } from '@starling/training';

/**
 * Scores a model on the full 10,000-image MNIST test set in this Node process, independently of
 * anything a tab reports: the tab hands over its raw parameters, nothing else.
 */
export class IndependentEvaluator {
  private constructor(
    private readonly trainer: Trainer,
    private readonly test: DecodedSet,
  ) {}

  static async create(spec: ModelSpec): Promise<IndependentEvaluator> {
    const paths = await ensurePacked('.data/e2e');
    const test = await loadPacked(paths.test);
    const trainer = await Trainer.create(spec, { backends: ['wasm', 'cpu'] });
    return new IndependentEvaluator(trainer, test);
  }

  get dim(): number {
    return this.trainer.dim;
  }

  async accuracy(params: Float32Array): Promise<number> {
    if (params.length !== this.trainer.dim) {
      throw new Error(`model has ${params.length} parameters, expected ${this.trainer.dim}`);
    }
    const r = await this.trainer.evaluate(params, this.test.images, this.test.labels, this.test.count);
    return r.accuracy;
  }

  dispose(): Promise<void> {
    return this.trainer.dispose();
  }
}
