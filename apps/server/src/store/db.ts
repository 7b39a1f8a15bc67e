import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opening the run database: WAL (readers never wait for the writer, and a crash loses at most the
 * last transaction), foreign keys, and schema migrations keyed by `PRAGMA user_version`.
 */

export type Db = Database.Database;

/** The database could not be opened or migrated; the message says which file and why. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/**
 * Schema versions in order; migration i brings user_version from i to i+1. Append only: a
 * released migration never changes, or databases made by it would disagree with new ones.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    run_id         TEXT PRIMARY KEY,
    config         TEXT NOT NULL,                -- RunConfig as JSON
    status         TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    last_active_at INTEGER NOT NULL,             -- last metric point; an interrupted run ends here
    total_samples  INTEGER NOT NULL DEFAULT 0,
    peak_peers     INTEGER NOT NULL DEFAULT 0,
    next_peer_id   INTEGER NOT NULL DEFAULT 0    -- a resumed run never reuses a peer id
  );
  CREATE INDEX runs_started ON runs (started_at);

  -- n: how many one-second points a (downsampled) row stands for, to weight later merges.
  CREATE TABLE metrics (
    run_id        TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    t             INTEGER NOT NULL,
    samples       INTEGER NOT NULL,
    mean_loss     REAL,
    min_loss      REAL,
    max_loss      REAL,
    steps_per_sec REAL NOT NULL,
    peers         INTEGER NOT NULL,
    n             INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX metrics_run_t ON metrics (run_id, t);
  CREATE INDEX metrics_t ON metrics (t);

  CREATE TABLE peer_losses (
    run_id  TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    peer_id INTEGER NOT NULL,
    t       INTEGER NOT NULL,
    loss    REAL NOT NULL,
    n       INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX peer_losses_run_t ON peer_losses (run_id, t);
  CREATE INDEX peer_losses_t ON peer_losses (t);

  CREATE TABLE evaluations (
    id              INTEGER PRIMARY KEY,
    run_id          TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    t               INTEGER NOT NULL,
    peer_id         INTEGER NOT NULL,
    snapshot_steps  INTEGER NOT NULL,
    snapshot_age_ms INTEGER NOT NULL,
    samples         INTEGER NOT NULL,
    accuracy        REAL NOT NULL,
    loss            REAL NOT NULL,
    test_count      INTEGER NOT NULL,
    eval_ms         REAL NOT NULL
  );
  CREATE INDEX evaluations_run_t ON evaluations (run_id, t);

  CREATE TABLE checkpoints (
    id       INTEGER PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    t        INTEGER NOT NULL,                   -- when the snapshot arrived
    peer_id  INTEGER NOT NULL,
    steps    INTEGER NOT NULL,
    accuracy REAL NOT NULL,                      -- server-measured, gates the next checkpoint
    params   BLOB NOT NULL                       -- little-endian float32
  );
  CREATE INDEX checkpoints_run ON checkpoints (run_id, id);
  `,
  // 2: tasks. A regression task has no accuracy (NULL), and owners upload tasks of their own.
  `
  CREATE TABLE evaluations_v2 (
    id              INTEGER PRIMARY KEY,
    run_id          TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    t               INTEGER NOT NULL,
    peer_id         INTEGER NOT NULL,
    snapshot_steps  INTEGER NOT NULL,
    snapshot_age_ms INTEGER NOT NULL,
    samples         INTEGER NOT NULL,
    accuracy        REAL,
    loss            REAL NOT NULL,
    test_count      INTEGER NOT NULL,
    eval_ms         REAL NOT NULL
  );
  INSERT INTO evaluations_v2 SELECT * FROM evaluations;
  DROP TABLE evaluations;
  ALTER TABLE evaluations_v2 RENAME TO evaluations;
  CREATE INDEX evaluations_run_t ON evaluations (run_id, t);

  CREATE TABLE checkpoints_v2 (
    id       INTEGER PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    t        INTEGER NOT NULL,
    peer_id  INTEGER NOT NULL,
    steps    INTEGER NOT NULL,
    accuracy REAL,                               -- NULL for regression: the loss gates instead
    loss     REAL,
    params   BLOB NOT NULL
  );
  INSERT INTO checkpoints_v2 (id, run_id, t, peer_id, steps, accuracy, loss, params)
    SELECT id, run_id, t, peer_id, steps, accuracy, NULL, params FROM checkpoints;
  DROP TABLE checkpoints;
  ALTER TABLE checkpoints_v2 RENAME TO checkpoints;
  CREATE INDEX checkpoints_run ON checkpoints (run_id, id);

  CREATE TABLE tasks (
    id         INTEGER PRIMARY KEY,              -- the task is 'custom-<id>'
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    info       TEXT NOT NULL,                    -- TaskInfo JSON, checked on upload
    summary    TEXT NOT NULL                     -- what the upload held (rows, classes, sizes), JSON
  );
  `,
  // 3: evaluations keep a non-finite loss (NULL = NaN; SQLite stores +-Infinity as such), the
  // checkpoint verdict with its reason, and the snapshot's parameter norm and largest |value|.
  `
  CREATE TABLE evaluations_v3 (
    id              INTEGER PRIMARY KEY,
    run_id          TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    t               INTEGER NOT NULL,
    peer_id         INTEGER NOT NULL,
    snapshot_steps  INTEGER NOT NULL,
    snapshot_age_ms INTEGER NOT NULL,
    samples         INTEGER NOT NULL,
    accuracy        REAL,
    loss            REAL,
    test_count      INTEGER NOT NULL,
    eval_ms         REAL NOT NULL,
    verdict         TEXT NOT NULL DEFAULT 'trusted' CHECK (verdict IN ('checkpoint', 'trusted', 'rejected')),
    reason          TEXT,
    param_norm      REAL,
    max_abs         REAL
  );
  INSERT INTO evaluations_v3 (id, run_id, t, peer_id, snapshot_steps, snapshot_age_ms, samples, accuracy, loss, test_count, eval_ms)
    SELECT id, run_id, t, peer_id, snapshot_steps, snapshot_age_ms, samples, accuracy, loss, test_count, eval_ms FROM evaluations;
  DROP TABLE evaluations;
  ALTER TABLE evaluations_v3 RENAME TO evaluations;
  CREATE INDEX evaluations_run_t ON evaluations (run_id, t);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if needed) the database at `file`, or in memory for ':memory:'. */
export function openDb(file: string): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (e) {
    throw new StoreError(`cannot open the database ${file}: ${(e as Error).message}; check the path and its permissions (--db / --data-dir)`);
  }
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only a power cut can lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, file);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError(`cannot prepare the database ${file}: ${(e as Error).message}`);
  }
  return db;
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreError(`${file} has schema version ${version}, newer than this server's ${MIGRATIONS.length}; use a newer server or another --db`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
