import type { Db } from './db';

/**
 * Model checkpoints: the newest few evaluated snapshots per run, as little-endian float32 blobs.
 * A restarted server hands the latest to joiners (`welcome.checkpointUrl`) and the model download.
 */

export interface CheckpointMeta {
  id: number;
  runId: string;
  /** Unix time (ms) the snapshot arrived. */
  t: number;
  peerId: number;
  steps: number;
  /** Server-measured test accuracy of the snapshot; null for a regression task. */
  accuracy: number | null;
  /** Server-measured test loss (null for checkpoints stored before tasks existed). */
  loss: number | null;
  /** Parameter count. */
  dim: number;
}

export interface Checkpoint extends CheckpointMeta {
  params: Float32Array;
}

interface MetaRow {
  id: number;
  run_id: string;
  t: number;
  peer_id: number;
  steps: number;
  accuracy: number | null;
  loss: number | null;
  bytes: number;
}
interface FullRow extends MetaRow {
  params: Buffer;
}

function prepare(db: Db) {
  return {
    insert: db.prepare<[string, number, number, number, number | null, number | null, Buffer]>(
      `INSERT INTO checkpoints (run_id, t, peer_id, steps, accuracy, loss, params) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    prune: db.prepare<[string, string, number]>(
      `DELETE FROM checkpoints WHERE run_id = ? AND id NOT IN (SELECT id FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT ?)`,
    ),
    latestMeta: db.prepare<[string], MetaRow>(
      `SELECT id, run_id, t, peer_id, steps, accuracy, loss, length(params) AS bytes FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT 1`,
    ),
    latest: db.prepare<[string], FullRow>(
      `SELECT id, run_id, t, peer_id, steps, accuracy, loss, length(params) AS bytes, params FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT 1`,
    ),
    count: db.prepare<[string], { c: number }>(`SELECT COUNT(*) AS c FROM checkpoints WHERE run_id = ?`),
  };
}

function toMeta(r: MetaRow): CheckpointMeta {
  return { id: r.id, runId: r.run_id, t: r.t, peerId: r.peer_id, steps: r.steps, accuracy: r.accuracy, loss: r.loss, dim: r.bytes / 4 };
}

export class CheckpointStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(private readonly db: Db) {
    this.q = prepare(db);
  }

  /** Stores a checkpoint and deletes all but the newest `keep` of the run, atomically. */
  insert(c: Omit<CheckpointMeta, 'id' | 'dim'>, params: Float32Array, keep: number): void {
    // A Buffer view, not a copy; SQLite copies the bytes into the row.
    const blob = Buffer.from(params.buffer, params.byteOffset, params.byteLength);
    this.db.transaction(() => {
      this.q.insert.run(c.runId, c.t, c.peerId, c.steps, c.accuracy, c.loss, blob);
      this.q.prune.run(c.runId, c.runId, keep);
    })();
  }

  latestMeta(runId: string): CheckpointMeta | undefined {
    const r = this.q.latestMeta.get(runId);
    return r === undefined ? undefined : toMeta(r);
  }

  /** The newest checkpoint with its parameters (a private copy, aligned for Float32Array). */
  latest(runId: string): Checkpoint | undefined {
    const r = this.q.latest.get(runId);
    if (r === undefined) return undefined;
    const params = new Float32Array(r.params.byteLength / 4);
    new Uint8Array(params.buffer).set(r.params);
    return { ...toMeta(r), params };
  }

  count(runId: string): number {
    return this.q.count.get(runId)!.c;
  }
}
