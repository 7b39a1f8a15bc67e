import type { Evaluation, EvaluationVerdict } from '@starling/protocol';
import type { Db } from './db';

/**
 * Server-measured evaluations of uploaded snapshots, kept in full (a few per minute at most),
 * rejected ones included, with their verdict and reason. A NaN loss is stored as NULL and +-Infinity
 * as such (SQLite's REAL holds it); both read back as `loss: null`, with the reason naming the value.
 */

interface EvaluationRow {
  t: number;
  run_id: string;
  peer_id: number;
  snapshot_steps: number;
  snapshot_age_ms: number;
  samples: number;
  accuracy: number | null;
  loss: number | null;
  test_count: number;
  eval_ms: number;
  verdict: EvaluationVerdict;
  reason: string | null;
  param_norm: number | null;
  max_abs: number | null;
}

type InsertArgs = [string, number, number, number, number, number, number | null, number | null, number, number, EvaluationVerdict, string | null, number | null, number | null];

function prepare(db: Db) {
  return {
    insert: db.prepare<InsertArgs>(
      `INSERT INTO evaluations (run_id, t, peer_id, snapshot_steps, snapshot_age_ms, samples, accuracy, loss, test_count, eval_ms, verdict, reason, param_norm, max_abs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    list: db.prepare<[string, number], EvaluationRow>(
      `SELECT * FROM (SELECT * FROM evaluations WHERE run_id = ? ORDER BY t DESC, id DESC LIMIT ?) ORDER BY t, id`,
    ),
    best: db.prepare<[string, number], { loss: number | null; accuracy: number | null }>(
      `SELECT MIN(loss) AS loss, MAX(accuracy) AS accuracy FROM evaluations WHERE run_id = ? AND t >= ? AND verdict <> 'rejected'`,
    ),
  };
}

const finiteOrNull = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

export class EvaluationStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.q = prepare(db);
  }

  /** Stores `e`; `rawLoss` is the measured loss when it was not finite (`e.loss` is then null). */
  insert(e: Evaluation, rawLoss: number = e.loss ?? Number.NaN): void {
    this.q.insert.run(
      e.runId, e.t, e.peerId, e.snapshotSteps, e.snapshotAgeMs, e.samples, e.accuracy,
      // better-sqlite3 binds NaN as NULL; Infinity is stored as SQLite's infinite REAL.
      Number.isNaN(rawLoss) ? null : rawLoss,
      e.testCount, e.evalMs, e.verdict, e.reason, e.paramNorm, e.maxAbs,
    );
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
      loss: finiteOrNull(r.loss),
      testCount: r.test_count,
      verdict: r.verdict,
      reason: r.reason,
      paramNorm: r.param_norm,
      maxAbs: r.max_abs,
      evalMs: r.eval_ms,
    }));
  }

  /**
   * The lowest loss and highest accuracy (null for regression) of the run's trusted evaluations
   * since `since`; undefined without one.
   */
  bestSince(runId: string, since: number): { loss: number; accuracy: number | null } | undefined {
    const r = this.q.best.get(runId, since);
    if (r === undefined || r.loss === null || !Number.isFinite(r.loss)) return undefined;
    return { loss: r.loss, accuracy: r.accuracy };
  }
}
