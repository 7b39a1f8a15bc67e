import type { Evaluation } from '@starling/protocol';
import type { Db } from './db';

/** Server-measured evaluations of uploaded snapshots, kept in full (a few per minute at most). */

interface EvaluationRow {
  t: number;
  run_id: string;
  peer_id: number;
  snapshot_steps: number;
  snapshot_age_ms: number;
  samples: number;
  accuracy: number | null;
  loss: number;
  test_count: number;
  eval_ms: number;
}

function prepare(db: Db) {
  return {
    insert: db.prepare<[string, number, number, number, number, number, number | null, number, number, number]>(
      `INSERT INTO evaluations (run_id, t, peer_id, snapshot_steps, snapshot_age_ms, samples, accuracy, loss, test_count, eval_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    list: db.prepare<[string, number], EvaluationRow>(
      `SELECT * FROM (SELECT * FROM evaluations WHERE run_id = ? ORDER BY t DESC, id DESC LIMIT ?) ORDER BY t, id`,
    ),
  };
}

export class EvaluationStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.q = prepare(db);
  }

  insert(e: Evaluation): void {
    this.q.insert.run(e.runId, e.t, e.peerId, e.snapshotSteps, e.snapshotAgeMs, e.samples, e.accuracy, e.loss, e.testCount, e.evalMs);
  }

  /** The run's newest `limit` evaluations, oldest first. */
  list(runId: string, limit: number): Evaluation[] {
    return this.q.list.all(runId, limit).map((r) => ({
      t: r.t,
      runId: r.run_id,
      peerId: r.peer_id,
      snapshotSteps: r.snapshot_steps,
      snapshotAgeMs: r.snapshot_age_ms,
      samples: r.samples,
      accuracy: r.accuracy,
      loss: r.loss,
      testCount: r.test_count,
      evalMs: r.eval_ms,
    }));
  }
}
