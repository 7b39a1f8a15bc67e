import type { MetricPoint, PeerLossSeries } from '@starling/protocol';
import type { DownsampleTier } from '../config';
import type { Db } from './db';

/**
 * The per-run time series: one swarm point a second (`metrics`) and one loss a second per live
 * peer (`peer_losses`). Old points are merged (`downsample`) so storage stays bounded, and reads
 * thin a series to at most `maxPoints` with the same merge rules, so a chart never gets more
 * points than it can draw.
 *
 * Merging keeps what the charts need: the last time and sample count of a bucket (samples is a
 * running total), the n-weighted mean of losses and rates, the extreme min/max losses and the
 * peak peer count. `n` counts the one-second points a row stands for.
 */

export interface PeerLoss {
  peerId: number;
  loss: number;
}

export interface DownsampleResult {
  /** Rows merged away, per table. */
  metricsRemoved: number;
  peerLossesRemoved: number;
}

const METRIC_AGGREGATES = `
  MAX(t) AS t, MAX(samples) AS samples,
  SUM(mean_loss * n) / SUM(CASE WHEN mean_loss IS NULL THEN 0 ELSE n END) AS mean_loss,
  MIN(min_loss) AS min_loss, MAX(max_loss) AS max_loss,
  SUM(steps_per_sec * n) / SUM(n) AS steps_per_sec, MAX(peers) AS peers, SUM(n) AS n`;
const LOSS_AGGREGATES = `MAX(t) AS t, SUM(loss * n) / SUM(n) AS loss, SUM(n) AS n`;

interface MetricRow {
  t: number;
  samples: number;
  mean_loss: number | null;
  min_loss: number | null;
  max_loss: number | null;
  steps_per_sec: number;
  peers: number;
  n: number;
}
interface MetricGroup extends MetricRow {
  run_id: string;
  bucket: number;
  c: number;
}
interface LossRow {
  peer_id: number;
  t: number;
  loss: number;
  n: number;
}
interface LossGroup extends LossRow {
  run_id: string;
  bucket: number;
  c: number;
}
interface Span {
  count: number;
  t0: number | null;
  t1: number | null;
}

function prepare(db: Db) {
  return {
    insertMetric: db.prepare<[string, number, number, number | null, number | null, number | null, number, number]>(
      `INSERT INTO metrics (run_id, t, samples, mean_loss, min_loss, max_loss, steps_per_sec, peers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertMerged: db.prepare<[string, number, number, number | null, number | null, number | null, number, number, number]>(
      `INSERT INTO metrics (run_id, t, samples, mean_loss, min_loss, max_loss, steps_per_sec, peers, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertLoss: db.prepare<[string, number, number, number]>(`INSERT INTO peer_losses (run_id, peer_id, t, loss) VALUES (?, ?, ?, ?)`),
    insertMergedLoss: db.prepare<[string, number, number, number, number]>(
      `INSERT INTO peer_losses (run_id, peer_id, t, loss, n) VALUES (?, ?, ?, ?, ?)`,
    ),
    // Groups of more than one row in [from, cutoff), per run (and peer) and bucket.
    metricGroups: db.prepare<{ from: number; cutoff: number; bucket: number }, MetricGroup>(
      `SELECT run_id, CAST(t / :bucket AS INTEGER) AS bucket, COUNT(*) AS c, ${METRIC_AGGREGATES} FROM metrics
       WHERE t >= :from AND t < :cutoff GROUP BY run_id, bucket HAVING COUNT(*) > 1`,
    ),
    lossGroups: db.prepare<{ from: number; cutoff: number; bucket: number }, LossGroup>(
      `SELECT run_id, peer_id, CAST(t / :bucket AS INTEGER) AS bucket, COUNT(*) AS c, ${LOSS_AGGREGATES} FROM peer_losses
       WHERE t >= :from AND t < :cutoff GROUP BY run_id, peer_id, bucket HAVING COUNT(*) > 1`,
    ),
    deleteMetricBucket: db.prepare<[string, number, number]>(`DELETE FROM metrics WHERE run_id = ? AND t >= ? AND t < ?`),
    deleteLossBucket: db.prepare<[string, number, number, number]>(
      `DELETE FROM peer_losses WHERE run_id = ? AND peer_id = ? AND t >= ? AND t < ?`,
    ),
    metricSpan: db.prepare<[string], Span>(`SELECT COUNT(*) AS count, MIN(t) AS t0, MAX(t) AS t1 FROM metrics WHERE run_id = ?`),
    metricsAll: db.prepare<[string], MetricRow>(`SELECT * FROM metrics WHERE run_id = ? ORDER BY t`),
    metricsThinned: db.prepare<{ run: string; t0: number; width: number }, MetricRow>(
      `SELECT ${METRIC_AGGREGATES} FROM metrics WHERE run_id = :run GROUP BY CAST((t - :t0) / :width AS INTEGER) ORDER BY 1`,
    ),
    lossSpan: db.prepare<[string], Span>(
      `SELECT MAX(c) AS count, MIN(t0) AS t0, MAX(t1) AS t1 FROM
         (SELECT COUNT(*) AS c, MIN(t) AS t0, MAX(t) AS t1 FROM peer_losses WHERE run_id = ? GROUP BY peer_id)`,
    ),
    lossesAll: db.prepare<[string], LossRow>(`SELECT peer_id, t, loss, n FROM peer_losses WHERE run_id = ? ORDER BY peer_id, t`),
    lossesThinned: db.prepare<{ run: string; t0: number; width: number }, LossRow>(
      `SELECT peer_id, ${LOSS_AGGREGATES} FROM peer_losses WHERE run_id = :run
       GROUP BY peer_id, CAST((t - :t0) / :width AS INTEGER) ORDER BY peer_id, 2`,
    ),
  };
}

export class MetricStore {
  private readonly q: ReturnType<typeof prepare>;
  /** Per tier, the cutoff of the last pass: rows older than it are merged already. */
  private readonly merged = new Map<number, number>();

  constructor(private readonly db: Db) {
    this.q = prepare(db);
  }

  /** Appends one swarm point and the live peers' losses (call inside a transaction to batch). */
  insert(runId: string, p: MetricPoint, losses: readonly PeerLoss[]): void {
    this.q.insertMetric.run(runId, p.t, p.samples, p.meanLoss, p.minLoss, p.maxLoss, p.stepsPerSec, p.peers);
    for (const l of losses) this.q.insertLoss.run(runId, l.peerId, p.t, l.loss);
  }

  /** The run's points, oldest first, thinned to at most `maxPoints`. */
  points(runId: string, maxPoints: number): MetricPoint[] {
    const span = this.q.metricSpan.get(runId)!;
    if (span.count === 0) return [];
    const rows =
      span.count <= maxPoints
        ? this.q.metricsAll.all(runId)
        : this.q.metricsThinned.all({ run: runId, t0: span.t0!, width: bucketWidth(span, maxPoints) });
    return rows.map((r) => ({
      t: r.t,
      samples: r.samples,
      meanLoss: r.mean_loss,
      minLoss: r.min_loss,
      maxLoss: r.max_loss,
      stepsPerSec: r.steps_per_sec,
      peers: r.peers,
    }));
  }

  /** One series per peer, ascending peer id, each thinned to at most `maxPoints`. */
  peerLosses(runId: string, maxPoints: number): PeerLossSeries[] {
    const span = this.q.lossSpan.get(runId)!;
    if (span.count === null || span.count === 0) return [];
    const rows =
      span.count <= maxPoints
        ? this.q.lossesAll.all(runId)
        : this.q.lossesThinned.all({ run: runId, t0: span.t0!, width: bucketWidth(span, maxPoints) });
    const series: PeerLossSeries[] = [];
    let current: PeerLossSeries | undefined;
    for (const r of rows) {
      if (current === undefined || current.peerId !== r.peer_id) {
        current = { peerId: r.peer_id, points: [] };
        series.push(current);
      }
      current.points.push({ t: r.t, loss: r.loss });
    }
    return series;
  }

  /**
   * Merges points older than each tier's age into one per tier bucket, in one transaction. Only
   * rows that crossed a cutoff since the previous pass are read (the first pass reads all).
   */
  downsample(now: number, tiers: readonly DownsampleTier[]): DownsampleResult {
    const result: DownsampleResult = { metricsRemoved: 0, peerLossesRemoved: 0 };
    this.db.transaction(() => {
      for (const tier of tiers) {
        const b = tier.bucketMs;
        // Aligned, so no bucket straddles the cutoff and a merged bucket never receives a late row.
        const cutoff = Math.floor((now - tier.olderThanMs) / b) * b;
        const from = this.merged.get(b) ?? 0;
        if (cutoff <= from) continue;
        const range = { from, cutoff, bucket: b };
        for (const g of this.q.metricGroups.all(range)) {
          this.q.deleteMetricBucket.run(g.run_id, g.bucket * b, (g.bucket + 1) * b);
          this.q.insertMerged.run(g.run_id, g.t, g.samples, g.mean_loss, g.min_loss, g.max_loss, g.steps_per_sec, g.peers, g.n);
          result.metricsRemoved += g.c - 1;
        }
        for (const g of this.q.lossGroups.all(range)) {
          this.q.deleteLossBucket.run(g.run_id, g.peer_id, g.bucket * b, (g.bucket + 1) * b);
          this.q.insertMergedLoss.run(g.run_id, g.peer_id, g.t, g.loss, g.n);
          result.peerLossesRemoved += g.c - 1;
        }
        this.merged.set(b, cutoff);
      }
    })();
    return result;
  }
}

/**
 * Bucket width (ms, at least 1) that splits the span into at most `maxPoints` buckets. (Queries
 * CAST their divisions: better-sqlite3 may bind a JS number as REAL, and REAL division does not bucket.)
 */
function bucketWidth(span: Span, maxPoints: number): number {
  return Math.max(1, Math.ceil((span.t1! - span.t0! + 1) / maxPoints));
}
