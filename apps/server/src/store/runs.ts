import type { RunConfig, RunStatus, RunSummary } from '@starling/protocol';
import type { Db } from './db';

/** One row of the `runs` table. */
export interface RunRecord {
  runId: string;
  /** As stored: validated when the run started (re-validate before running it again). */
  config: RunConfig;
  status: RunStatus;
  startedAt: number;
  endedAt: number | null;
  lastActiveAt: number;
  totalSamples: number;
  peakPeers: number;
  nextPeerId: number;
}

interface RunRow {
  run_id: string;
  config: string;
  status: RunStatus;
  started_at: number;
  ended_at: number | null;
  last_active_at: number;
  total_samples: number;
  peak_peers: number;
  next_peer_id: number;
}

interface SummaryRow extends RunRow {
  final_accuracy: number | null;
  final_loss: number | null;
  best_accuracy: number | null;
}

function toRecord(r: RunRow): RunRecord {
  return {
    runId: r.run_id,
    config: JSON.parse(r.config) as RunConfig,
    status: r.status,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    lastActiveAt: r.last_active_at,
    totalSamples: r.total_samples,
    peakPeers: r.peak_peers,
    nextPeerId: r.next_peer_id,
  };
}

function prepare(db: Db) {
  return {
    insert: db.prepare<[string, string, number, number]>(
      `INSERT INTO runs (run_id, config, status, started_at, last_active_at) VALUES (?, ?, 'running', ?, ?)`,
    ),
    get: db.prepare<[string], RunRow>(`SELECT * FROM runs WHERE run_id = ?`),
    newest: db.prepare<[], RunRow>(`SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1`),
    finish: db.prepare<[number, string]>(`UPDATE runs SET status = 'finished', ended_at = ? WHERE run_id = ? AND status = 'running'`),
    interruptOthers: db.prepare<[string]>(
      `UPDATE runs SET status = 'interrupted', ended_at = last_active_at WHERE status = 'running' AND run_id <> ?`,
    ),
    peers: db.prepare<[number, number, string]>(
      `UPDATE runs SET next_peer_id = MAX(next_peer_id, ?), peak_peers = MAX(peak_peers, ?) WHERE run_id = ?`,
    ),
    activity: db.prepare<[number, number, string]>(
      `UPDATE runs SET last_active_at = MAX(last_active_at, ?), total_samples = MAX(total_samples, ?) WHERE run_id = ?`,
    ),
    list: db.prepare<[number], SummaryRow>(`
      SELECT r.*,
        (SELECT accuracy FROM evaluations e WHERE e.run_id = r.run_id AND e.verdict <> 'rejected' ORDER BY t DESC, id DESC LIMIT 1) AS final_accuracy,
        (SELECT loss FROM evaluations e WHERE e.run_id = r.run_id AND e.verdict <> 'rejected' ORDER BY t DESC, id DESC LIMIT 1) AS final_loss,
        (SELECT MAX(accuracy) FROM evaluations e WHERE e.run_id = r.run_id AND e.verdict <> 'rejected') AS best_accuracy
      FROM runs r ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?`),
  };
}

/** The runs table: one row per run ever started, with the figures the run list shows. */
export class RunStore {
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.q = prepare(db);
  }

  create(runId: string, config: RunConfig, startedAt: number): void {
    this.q.insert.run(runId, JSON.stringify(config), startedAt, startedAt);
  }

  get(runId: string): RunRecord | undefined {
    const r = this.q.get.get(runId);
    return r === undefined ? undefined : toRecord(r);
  }

  has(runId: string): boolean {
    return this.q.get.get(runId) !== undefined;
  }

  /** The most recently started run. */
  newest(): RunRecord | undefined {
    const r = this.q.newest.get();
    return r === undefined ? undefined : toRecord(r);
  }

  finish(runId: string, endedAt: number): void {
    this.q.finish.run(endedAt, runId);
  }

  /** Every 'running' run but `keep` becomes 'interrupted', ending at its last activity. */
  interruptAllBut(keep: string | null): number {
    return this.q.interruptOthers.run(keep ?? '').changes;
  }

  /** After a join: ids below `nextPeerId` are taken; `live` peers are live at once. */
  notePeers(runId: string, nextPeerId: number, live: number): void {
    this.q.peers.run(nextPeerId, live, runId);
  }

  noteActivity(runId: string, t: number, totalSamples: number): void {
    this.q.activity.run(t, totalSamples, runId);
  }

  /** Newest first, with the figures of each run's latest and best trusted server evaluation (rejected snapshots do not count). */
  list(limit = 1000): RunSummary[] {
    return this.q.list.all(limit).map((r) => {
      const rec = toRecord(r);
      return {
        runId: rec.runId,
        config: rec.config,
        status: rec.status,
        startedAt: rec.startedAt,
        endedAt: rec.endedAt,
        totalSamples: rec.totalSamples,
        peakPeers: rec.peakPeers,
        finalAccuracy: r.final_accuracy,
        finalLoss: r.final_loss,
        bestAccuracy: r.best_accuracy,
      };
    });
  }
}
