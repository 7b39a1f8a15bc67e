import type { RunConfig, TaskInfo } from '@starling/protocol';
import { encodeSet, shardSet, taskEvalArrays, type DataSet, type EvalArrays, type ShardOptions } from '@starling/tasks';
import type { ResolvedTask, TaskData } from '@starling/tasks/node';

/**
 * The data payloads the server hands out for the run's task: one shard of the training set per
 * peer and the test set, in the `@starling/tasks` set format. The split is computed once from the
 * run config (same data, count, mode and seed give the same split everywhere), and each payload is
 * encoded on first request and kept.
 */

export type Splits = TaskData;

/** Loads a task's two splits; injectable so tests can serve a small synthetic set. */
export type SplitsLoader = (task: ResolvedTask) => Promise<Splits>;

/** The task's data packed into `dataDir` (first use only), one load per data source for the process. */
export function packedTaskLoader(dataDir: string, log: (line: string) => void): SplitsLoader {
  let cache: ((source: ResolvedTask['data']) => Promise<TaskData>) | undefined;
  return async (task) => {
    // Node-only module, loaded lazily so importing the server never touches the file system.
    cache ??= (await import('@starling/tasks/node')).dataCache(dataDir, log);
    return cache(task.data);
  };
}

export class DatasetService {
  private loading: Promise<Splits> | undefined;
  private shards: DataSet[] | undefined;
  private readonly shardPayloads = new Map<number, Uint8Array>();
  private testPayload: Uint8Array | undefined;
  private evalCache: { max: number; arrays: EvalArrays } | undefined;

  constructor(
    private readonly loader: SplitsLoader,
    private readonly task: ResolvedTask,
    private readonly shardConfig: RunConfig['shards'],
    private readonly seed: number,
  ) {}

  get info(): TaskInfo {
    return this.task.info;
  }

  get shardCount(): number {
    return this.shardConfig.count;
  }

  /** Start loading now (e.g. at start-up) so the first peer does not wait; errors surface on use. */
  warm(): Promise<void> {
    return this.splits().then(() => undefined);
  }

  /** The encoded payload of shard `index` (0 <= index < shardCount; the caller validates). */
  async shard(index: number): Promise<Uint8Array> {
    if (!Number.isInteger(index) || index < 0 || index >= this.shardConfig.count) {
      throw new RangeError(`shard index ${index} is not in 0..${this.shardConfig.count - 1}`);
    }
    const cached = this.shardPayloads.get(index);
    if (cached !== undefined) return cached;
    const { train } = await this.splits();
    this.shards ??= shardSet(train, this.shardConfig.count, this.shardOptions());
    const payload = encodeSet(this.shards[index], { index, of: this.shardConfig.count });
    this.shardPayloads.set(index, payload);
    return payload;
  }

  /** The decoded test set. */
  async testSet(): Promise<DataSet> {
    return (await this.splits()).test;
  }

  /** The first `max` test examples (windows of a stream) as the evaluator feeds them to the model. */
  async evalArrays(max: number): Promise<EvalArrays> {
    if (this.evalCache?.max === max) return this.evalCache.arrays;
    const arrays = taskEvalArrays(this.task.info, await this.testSet(), max);
    this.evalCache = { max, arrays };
    return arrays;
  }

  /** The encoded test set (shard 0 of 1). */
  async test(): Promise<Uint8Array> {
    if (this.testPayload !== undefined) return this.testPayload;
    const { test } = await this.splits();
    this.testPayload = encodeSet(test);
    return this.testPayload;
  }

  private shardOptions(): ShardOptions {
    // makeShards refuses classesPerShard for iid splits.
    return this.shardConfig.mode === 'iid'
      ? { mode: 'iid', seed: this.seed }
      : { mode: 'noniid', classesPerShard: this.shardConfig.classesPerShard, seed: this.seed };
  }

  /** One load shared by concurrent requests; a failed load is retried by the next request. */
  private splits(): Promise<Splits> {
    if (this.loading === undefined) {
      this.loading = this.loader(this.task).catch((e: unknown) => {
        this.loading = undefined;
        throw e;
      });
    }
    return this.loading;
  }
}
