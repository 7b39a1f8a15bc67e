import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunConfig, RunStatePayload } from '@starling/protocol';
import type { ClientGate } from './client-gate';
import type { ClusterBus } from './cluster/bus';
import type { ServerCounters } from './counters';
import type { SplitsLoader } from './datasets';
import { createRequestHandler } from './http';
import type { IceIssuer } from './ice-servers';
import { RunLifecycle, type OpenOptions } from './lifecycle';
import { MetricsRecorder } from './metrics-recorder';
import { ModelExporter } from './model-export';
import { ModelRuntime } from './model-runtime';
import { RunHost } from './run-host';
import { SnapshotPipeline } from './snapshots';
import { Store } from './store';
import { TaskCatalog } from './task-catalog';
import type { ServerTuning } from './tuning';

/**
 * Everything that exists only in the process that owns the run: the database, the run lifecycle,
 * the run's host (membership), snapshot evaluation, metric recording and the HTTP API that reads
 * or changes them. A single server opens it at start-up; in a cluster, the process that takes the
 * owner lease opens it then (on the shared data directory, resuming the run), and the others pass
 * the API on to it.
 */

export interface OwnerOptions {
  dbFile: string;
  open: OpenOptions;
  bus: ClusterBus;
  gate: ClientGate;
  ice: IceIssuer;
  /** Uploaded tasks' files live here (built-in tasks pack their data here too). */
  dataDir: string;
  loader: SplitsLoader;
  counters: ServerCounters;
  tuning: ServerTuning;
  adminToken: string;
  /** Requests forwarded by another process of the cluster carry this secret (and the client's address). */
  clusterSecret?: string;
  webDist: string;
  wasmDir: string | undefined;
  clock: () => number;
  log: (line: string) => void;
  /** Called with the run whenever the hosted run changes (the cluster records its id). */
  onRun?: (run: { runId: string; config: RunConfig }) => void;
  /** Called when the admin pauses or changes the loss rate (the cluster keeps it for a take-over). */
  onRunState?: (runId: string, state: RunStatePayload) => void;
}

export interface Owner {
  runs: RunLifecycle;
  store: Store;
  host: RunHost;
  recorder: MetricsRecorder;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

/** Opens the database and the run (resumed or new) and starts hosting it. Throws on a bad config or database. */
export function openOwner(o: OwnerOptions): Owner {
  const { tuning, clock, log, counters } = o;
  const store = Store.open(o.dbFile);
  const tasks = new TaskCatalog(store, o.dataDir);
  let runs: RunLifecycle;
  try {
    runs = RunLifecycle.open({ store, counters, loader: o.loader, clock, log, tuning, resolveTask: (c) => tasks.resolve(c) }, o.open);
  } catch (e) {
    store.close();
    throw e;
  }
  const runtime = new ModelRuntime({ backends: tuning.evalBackends, evalBatchSize: tuning.evalBatchSize, log });
  let host: RunHost | undefined;
  const snapshots = new SnapshotPipeline({
    store,
    runtime,
    evalArrays: (runId, max) => {
      if (runs.current.runId !== runId) return Promise.reject(new Error(`run ${runId} is no longer the current run`));
      return runs.current.data.evalArrays(max);
    },
    counters,
    tuning,
    clock,
    samplesOf: (runId) => (runs.current.runId === runId ? runs.current.totalSamples() : (store.runs.get(runId)?.totalSamples ?? 0)),
    broadcast: (e) => host?.broadcastEvaluation(e),
    flag: (runId, peerId, reason) => {
      if (runs.current.runId === runId) runs.current.peers.flag(peerId, 'rejected-snapshot', reason, clock());
    },
    log,
  });
  host = new RunHost({ bus: o.bus, runs, gate: o.gate, ice: o.ice, counters, tuning, clock, log, onRunState: o.onRunState });
  const recorder = new MetricsRecorder({ runs, store, tuning, clock, log });
  recorder.start();
  o.onRun?.(runs.current);
  runs.onChange((next) => o.onRun?.(next));
  const handler = createRequestHandler({
    runs,
    store,
    tasks,
    snapshots,
    exporter: new ModelExporter(runtime),
    setRunState: (u) => host.setRunState(u),
    adminToken: o.adminToken,
    clusterSecret: o.clusterSecret,
    tuning,
    gate: o.gate,
    counters,
    clock,
    webDist: o.webDist,
    wasmDir: o.wasmDir,
    log,
  });
  let closing: Promise<void> | undefined;
  return {
    runs,
    store,
    host,
    recorder,
    handler,
    close: () =>
      (closing ??= (async () => {
        recorder.close();
        host.close();
        // An evaluation in progress is stored before the database closes.
        await snapshots.close();
        await runtime.close();
        store.close();
      })()),
  };
}
