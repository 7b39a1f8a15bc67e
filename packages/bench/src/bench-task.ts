/**
 * A built-in task (`@starling/tasks`: mnist-mlp, mnist-cnn, ...) as a simulator problem with real
 * TF.js gradients: each peer owns a shard of the training set (IID or non-IID, as the platform's
 * server cuts them) and every gradient the simulator asks for is one `Trainer.gradient` call on
 * that peer's next minibatch, at the parameters the algorithm gives. One Trainer serves every
 * peer: the simulator computes gradients one at a time.
 */
import type { TaskInfo } from '@starling/protocol';
import { deriveSeed, type AsyncProblem, type MemberObjective } from '@starling/sim';
import { shardSet, taskEvalArrays, taskSampler, type BatchSampler, type DataSet, type EvalArrays } from '@starling/tasks';
import { dataCache, resolveBuiltinTask } from '@starling/tasks/node';
import { initialParams, Trainer, type BackendName, type Evaluation, type ModelSpec } from '@starling/training';
import { BENCH_CONFIG } from './config';
import { BenchError } from './errors';
import type { Split } from './scenarios';

/** Seed streams of the task (the simulator's own streams are 1-5). */
const SHARD_STREAM = 101;
const SAMPLER_STREAM = 102;

export interface BenchTaskOptions {
  /** A built-in task id (default BENCH_CONFIG.task: mnist-mlp) and its options. */
  task?: string;
  taskOptions?: Record<string, unknown>;
  batchSize?: number;
  dataDir?: string;
  backends?: readonly BackendName[];
  log?: (line: string) => void;
}

export class BenchTask {
  readonly batchSize: number;
  readonly spec: ModelSpec;
  private readonly xs: Float32Array;
  private readonly ys: Int32Array | Float32Array;
  private readonly evalSet: EvalArrays;

  private constructor(
    readonly info: TaskInfo,
    readonly trainer: Trainer,
    readonly train: DataSet,
    readonly test: DataSet,
    batchSize: number,
  ) {
    this.spec = info.model;
    this.batchSize = batchSize;
    this.xs = new Float32Array(batchSize * trainer.io.inputSize);
    this.ys = trainer.io.objective.kind === 'regression' ? new Float32Array(batchSize * trainer.io.targetSize) : new Int32Array(batchSize * trainer.io.targetSize);
    this.evalSet = taskEvalArrays(info, test, test.count);
  }

  static async load(opts: BenchTaskOptions = {}): Promise<BenchTask> {
    const id = opts.task ?? BENCH_CONFIG.task.id;
    const resolved = resolveBuiltinTask(id, opts.taskOptions ?? (opts.task === undefined ? BENCH_CONFIG.task.options : {}));
    if (resolved === undefined) throw new BenchError(`no built-in task '${id}'`);
    const batch = opts.batchSize ?? BENCH_CONFIG.batchSize;
    if (!Number.isInteger(batch) || batch < 1) throw new BenchError(`batchSize must be a positive integer, got ${batch}`);
    const { train, test } = await dataCache(opts.dataDir ?? BENCH_CONFIG.dataDir, opts.log ?? (() => {}))(resolved.data);
    const trainer = await Trainer.create(resolved.info.model, { backends: opts.backends ?? BENCH_CONFIG.backends });
    return new BenchTask(resolved.info, trainer, train, test, batch);
  }

  /** Test examples available for evaluation (windows of a text). */
  get testCount(): number {
    return this.evalSet.count;
  }

  /** The backend TF.js computes on ('wasm' in Node unless it failed its checks). */
  get backend(): string {
    return this.trainer.backendReport?.backend ?? 'unknown';
  }

  /**
   * The simulator problem for n peers: shards cut with `seed`, x0 = initialParams(spec, seed) for
   * every algorithm, and per-peer epoch-wise minibatch samplers seeded from `seed`. The simulator's
   * minibatch stream is not used: samplers draw without replacement, as the platform's peers do.
   */
  problem(n: number, split: Split, seed: number): AsyncProblem {
    const shardSeed = deriveSeed(seed, SHARD_STREAM);
    const shards = shardSet(this.train, n, {
      mode: split,
      classesPerShard: split === 'noniid' ? BENCH_CONFIG.classesPerShard : undefined,
      seed: shardSeed,
    });
    const samplers: BatchSampler[] = shards.map((set, i) => taskSampler(this.info, set, this.batchSize, deriveSeed(seed, SAMPLER_STREAM, i)));
    const x0 = initialParams(this.spec, seed);
    const dim = this.trainer.dim;
    const unknown = unknownOptimum(dim);
    const { xs, ys, trainer, batchSize } = this;
    return {
      dim,
      peers: n,
      x0,
      objective: () => unknown,
      gradient: async (peer, x, out) => {
        const sampler = samplers[peer];
        if (sampler === undefined) throw new BenchError(`no shard for peer ${peer} (the run has ${n})`);
        sampler.next(xs, ys);
        await trainer.gradient(x, xs, ys, batchSize, out);
      },
    };
  }

  /** Loss and accuracy of `x` on the first `count` test examples. */
  evaluate(x: Float32Array, count: number): Promise<Evaluation> {
    if (!Number.isInteger(count) || count < 1 || count > this.evalSet.count) {
      throw new BenchError(`evaluation count must be an integer in 1..${this.evalSet.count}, got ${count}`);
    }
    return this.trainer.evaluate(x, this.evalSet.inputs, this.evalSet.targets, count);
  }

  /**
   * Cost of one step as a peer runs it (draw a minibatch, one `Trainer.gradient` call), over
   * `steps` timed steps after `warmup` untimed ones. The median of the process CPU time per step is
   * the compute model's base step time: on a machine shared with other jobs the wall time measures
   * their load too (here its median moved between 3.4 and 16 ms from one minute to the next), while
   * the CPU time of a single-threaded wasm step stays put. Wall-time quantiles are kept for the record.
   */
  async calibrate(warmup: number, steps: number): Promise<StepTiming> {
    if (!Number.isInteger(steps) || steps < 1) throw new BenchError(`calibration steps must be a positive integer, got ${steps}`);
    const sampler = taskSampler(this.info, this.train, this.batchSize, 1);
    const x = initialParams(this.spec, 1);
    const g = new Float32Array(this.trainer.dim);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      sampler.next(this.xs, this.ys);
      await this.trainer.gradient(x, this.xs, this.ys, this.batchSize, g);
      const c = process.cpuUsage(c0);
      if (i >= warmup) {
        wall.push((performance.now() - t0) / 1000);
        cpu.push((c.user + c.system) / 1e6);
      }
      for (let j = 0; j < x.length; j++) x[j] -= 0.05 * g[j]; // move on, as training would
    }
    const q = (a: number[], p: number) => a.sort((u, v) => u - v)[Math.min(a.length - 1, Math.floor(p * a.length))];
    // On a GPU backend the CPU mostly waits for the device, so its CPU time is not the step's cost.
    const gpu = this.backend === 'webgpu' || this.backend === 'webgl';
    const base = gpu ? wall : cpu;
    return { median: q(base, 0.5), cpuP10: q(cpu, 0.1), cpuP90: q(cpu, 0.9), wallMedian: q(wall, 0.5), wallP10: q(wall, 0.1), wallP90: q(wall, 0.9), steps };
  }

  dispose(): Promise<void> {
    return this.trainer.dispose();
  }
}

/** Seconds per step: the base step time, CPU-time quantiles, wall-time quantiles. */
export interface StepTiming {
  /** The base step time: median CPU time (wall time on a GPU backend, whose CPU mostly waits). */
  median: number;
  cpuP10: number;
  cpuP90: number;
  wallMedian: number;
  wallP10: number;
  wallP90: number;
  steps: number;
}

/** A real task has no known optimum: records carry NaN errors; accuracy comes from evaluation instead. */
function unknownOptimum(dim: number): MemberObjective {
  return { optimum: new Float64Array(dim).fill(Number.NaN), optimalValue: Number.NaN, value: () => Number.NaN };
}
