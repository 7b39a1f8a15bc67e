import { parseRunConfig, pathTo, type RunConfig } from '@starling/protocol';
import type { ResolvedTask } from '@starling/tasks/node';
import { DatasetService, type SplitsLoader } from './datasets';
import type { ServerCounters } from './counters';
import { makeRunId, Run } from './run';
import type { ServerTuning } from './tuning';
import type { RunRecord, Store } from './store';

/**
 * The run lifecycle, in one place: which run this process hosts, resuming an unfinished run after
 * a restart, starting a new one (the previous one finishes), and keeping the `runs` table in step.
 *
 * At start-up the newest run in the database is resumed if it is still 'running' (the server was
 * stopped or crashed), unless `newRun` is set or an explicitly given config differs from the
 * stored one; any other 'running' run becomes 'interrupted', keeping its history and checkpoints.
 */

export interface LifecycleOptions {
  store: Store;
  counters: ServerCounters;
  /** Loads a task's data (shared across runs of the same data, see `packedTaskLoader`). */
  loader: SplitsLoader;
  /** The task a config names (built-in or uploaded); throws TaskError naming the bad field. */
  resolveTask: (config: RunConfig) => ResolvedTask;
  clock: () => number;
  log: (line: string) => void;
  tuning: ServerTuning;
}

export interface OpenOptions {
  /** The config to start a new run with. */
  config: RunConfig;
  /** True when the operator chose `config` (a --config file): a different stored run is not resumed. */
  explicitConfig: boolean;
  /** Never resume. */
  newRun: boolean;
}

/** POST /api/runs named a run id that is taken. */
export class RunIdTakenError extends Error {
  override readonly name = 'RunIdTakenError';
}

type Listener = (next: Run, previous: Run) => void;

export class RunLifecycle {
  private run!: Run;
  private readonly listeners: Listener[] = [];

  private constructor(private readonly o: LifecycleOptions) {}

  static open(o: LifecycleOptions, open: OpenOptions): RunLifecycle {
    const l = new RunLifecycle(o);
    const resumable = l.resumable(open);
    if (resumable !== undefined) {
      l.run = l.resume(resumable.record, resumable.config);
    } else {
      const interrupted = o.store.runs.interruptAllBut(null);
      if (interrupted > 0) o.log(`marked ${interrupted} unfinished run(s) as interrupted`);
      const base = open.config.runId ?? makeRunId(new Date(o.clock()));
      const runId = l.freeRunId(base);
      if (runId !== base) o.log(`run id ${base} is taken in the database; this run is ${runId}`);
      l.run = l.create(runId, open.config);
    }
    return l;
  }

  get current(): Run {
    return this.run;
  }

  /** Called with the new and the old run after `startNew`. */
  onChange(fn: Listener): void {
    this.listeners.push(fn);
  }

  /**
   * Ends the current run ('finished') and starts one with `config`. Throws RunIdTakenError when
   * `config.runId` names an existing run.
   */
  startNew(config: RunConfig): Run {
    if (config.runId !== undefined && this.o.store.runs.has(config.runId)) {
      throw new RunIdTakenError(`run id ${config.runId} is taken; leave runId out or choose another`);
    }
    this.o.resolveTask(config); // refuses a bad task before the current run is ended
    const previous = this.run;
    const runId = config.runId ?? this.freeRunId(makeRunId(new Date(this.o.clock())));
    const now = this.o.clock();
    this.o.store.runs.finish(previous.runId, now);
    previous.status = 'finished';
    this.run = this.create(runId, config);
    this.o.log(`run ${previous.runId} finished; run ${runId} started (${config.task}, ${config.algorithm}, ${config.topology.kind})`);
    for (const fn of this.listeners) fn(this.run, previous);
    return this.run;
  }

  /** Persist what a join changed: the next free peer id and the peak peer count. A failed write is logged, not fatal. */
  peerJoined(run: Run): void {
    try {
      this.o.store.runs.notePeers(run.runId, run.coordinator.nextPeerId, run.coordinator.members().length);
    } catch (e) {
      this.o.counters.storeErrors++;
      this.o.log(`recording a join of run ${run.runId} failed: ${(e as Error).message}`);
    }
  }

  /** The welcome's `checkpointUrl`: set when the run has a checkpoint. */
  checkpointUrl(run: Run): string | null {
    return this.o.store.checkpoints.latestMeta(run.runId) === undefined ? null : pathTo('checkpoint', { runId: run.runId });
  }

  private resumable(open: OpenOptions): { record: RunRecord; config: RunConfig } | undefined {
    const newest = this.o.store.runs.newest();
    if (newest === undefined || newest.status !== 'running') return undefined;
    if (open.newRun) {
      this.o.log(`--new-run: not resuming run ${newest.runId}`);
      return undefined;
    }
    let config: RunConfig;
    try {
      // Re-validated: the stored config may predate a schema change (or name a task since deleted).
      config = parseRunConfig(newest.config);
      this.o.resolveTask(config);
    } catch (e) {
      this.o.log(`cannot resume run ${newest.runId}: its stored config is no longer valid (${(e as Error).message})`);
      return undefined;
    }
    if (open.explicitConfig && !sameConfig(config, open.config)) {
      this.o.log(`not resuming run ${newest.runId}: the given config differs from the run's`);
      return undefined;
    }
    return { record: newest, config };
  }

  private resume(r: RunRecord, config: RunConfig): Run {
    this.o.store.runs.interruptAllBut(r.runId);
    const checkpoint = this.o.store.checkpoints.latestMeta(r.runId);
    this.o.log(
      `resuming run ${r.runId} (started ${new Date(r.startedAt).toISOString()}, ${r.totalSamples} samples, ` +
        (checkpoint === undefined ? 'no checkpoint)' : `checkpoint of peer ${checkpoint.peerId} at step ${checkpoint.steps})`),
    );
    return new Run({
      runId: r.runId,
      config,
      startedAt: r.startedAt,
      counters: this.o.counters,
      tuning: this.o.tuning,
      data: new DatasetService(this.o.loader, this.o.resolveTask(config), config.shards, config.seed),
      firstPeerId: r.nextPeerId,
      samplesBefore: r.totalSamples,
    });
  }

  private create(runId: string, given: RunConfig): Run {
    // Before anything is stored: an unknown task or bad task options refuse the run.
    const task = this.o.resolveTask(given);
    // The config names its run, so peers and the stored row agree on the id (even a suffixed one).
    const config: RunConfig = { ...given, runId };
    const startedAt = this.o.clock();
    this.o.store.runs.create(runId, config, startedAt);
    this.o.counters.runsStarted++;
    return new Run({
      runId,
      config,
      startedAt,
      counters: this.o.counters,
      tuning: this.o.tuning,
      data: new DatasetService(this.o.loader, task, config.shards, config.seed),
    });
  }

  /** `base`, or `base.2`, `base.3`, ... : the first id not in the database (64 characters at most). */
  private freeRunId(base: string): string {
    if (!this.o.store.runs.has(base)) return base;
    for (let i = 2; ; i++) {
      const suffix = `.${i}`;
      const id = base.slice(0, 64 - suffix.length) + suffix;
      if (!this.o.store.runs.has(id)) return id;
    }
  }
}

/** Same settings, ignoring the run id and key order. */
export function sameConfig(a: RunConfig, b: RunConfig): boolean {
  return canonical({ ...a, runId: undefined }) === canonical({ ...b, runId: undefined });
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
      : x,
  );
}
