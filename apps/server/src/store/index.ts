import { endianness } from 'node:os';
import type { MetricPoint } from '@starling/protocol';
import { TaskStore } from './tasks';
import { CheckpointStore } from './checkpoints';
import { openDb, StoreError, type Db } from './db';
import { EvaluationStore } from './evaluations';
import { MetricStore, type PeerLoss } from './metrics';
import { RunStore } from './runs';

export { StoreError, SCHEMA_VERSION } from './db';
export type { RunRecord } from './runs';
export type { PeerLoss, DownsampleResult } from './metrics';
export type { Checkpoint, CheckpointMeta } from './checkpoints';

/** The run database: one SQLite file holding runs, time series, evaluations and checkpoints. */
export class Store {
  readonly runs: RunStore;
  readonly metrics: MetricStore;
  readonly evaluations: EvaluationStore;
  readonly checkpoints: CheckpointStore;
  readonly tasks: TaskStore;
  private closed = false;

  private constructor(private readonly db: Db) {
    this.runs = new RunStore(db);
    this.metrics = new MetricStore(db);
    this.evaluations = new EvaluationStore(db);
    this.checkpoints = new CheckpointStore(db);
    this.tasks = new TaskStore(db);
  }

  /** Opens or creates the database at `file` (':memory:' for a throwaway one). */
  static open(file: string): Store {
    // Model blobs are stored and served as the host's float32 bytes, which the API defines as little-endian.
    if (endianness() !== 'LE') throw new StoreError('this server stores models as little-endian float32 and needs a little-endian host');
    return new Store(openDb(file));
  }

  /** One second of a run: the swarm point, each live peer's loss and the run's activity, atomically. */
  recordTick(runId: string, point: MetricPoint, losses: readonly PeerLoss[]): void {
    this.db.transaction(() => {
      this.metrics.insert(runId, point, losses);
      this.runs.noteActivity(runId, point.t, point.samples);
    })();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints): many small writes, one commit. */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
