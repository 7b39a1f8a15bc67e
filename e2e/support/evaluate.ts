import { taskEvalArrays, type EvalArrays } from '@starling/tasks';
import { dataCache, resolveBuiltinTask } from '@starling/tasks/node';
import { Trainer, type Evaluation } from '@starling/training';

/** A built-in task and its options, as a run config names it. */
export interface TaskRef {
  task: string;
  taskOptions: Record<string, unknown>;
}

/**
 * Scores a model on a built-in task's test set (all of it unless `count` says fewer, the first
 * `count` examples) in this Node process, independently of anything a tab reports: the tab hands
 * over its raw parameters, nothing else.
 */
export class IndependentEvaluator {
  private constructor(
    private readonly trainer: Trainer,
    private readonly test: EvalArrays,
  ) {}

  static async create(ref: TaskRef, count?: number): Promise<IndependentEvaluator> {
    const resolved = resolveBuiltinTask(ref.task, ref.taskOptions);
    if (resolved === undefined) throw new Error(`no built-in task ${ref.task}`);
    const { test } = await dataCache('.data/e2e', () => {})(resolved.data);
    // wasm first (it trains the built-in CNNs too); cpu if it cannot.
    const trainer = await Trainer.create(resolved.info.model, { backends: ['wasm', 'cpu'] });
    return new IndependentEvaluator(trainer, taskEvalArrays(resolved.info, test, count ?? test.count));
  }

  /** Test examples each score is taken on. */
  get count(): number {
    return this.test.count;
  }

  get dim(): number {
    return this.trainer.dim;
  }

  /** Mean test loss and accuracy of `params`. */
  async score(params: Float32Array): Promise<Evaluation> {
    if (params.length !== this.trainer.dim) {
      throw new Error(`model has ${params.length} parameters, expected ${this.trainer.dim}`);
    }
    return this.trainer.evaluate(params, this.test.inputs, this.test.targets, this.test.count);
  }

  async accuracy(params: Float32Array): Promise<number> {
    const r = await this.score(params);
    if (r.accuracy === null) throw new Error('this task has no accuracy (regression)');
    return r.accuracy;
  }

  dispose(): Promise<void> {
    return this.trainer.dispose();
  }
}
