import { createServer } from 'node:http';
import { ClientGate } from './client-gate';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { RunConfig } from '@starling/protocol';
import { Server } from 'socket.io';
import { newSecret } from './admin';
import { defaultWasmDir, resolveTuning, ServerConfigError, type ServerOptions, type ServerTuning } from './config';
import { packedTaskLoader, type DatasetService, type SplitsLoader } from './datasets';
import { TaskCatalog } from './task-catalog';
import { createRequestHandler } from './http';
import { guardHttpServer, httpServerOptions } from './http-guard';
import { terminate } from './outbound';
import { guardProcess } from './process-guard';
import { RunLifecycle } from './lifecycle';
import { MetricsRecorder } from './metrics-recorder';
import { ModelExporter } from './model-export';
import { ModelRuntime } from './model-runtime';
import { createCounters } from './counters';
import type { Run } from './run';
import { SignalingHub, type IoServer } from './signaling';
import { SnapshotPipeline } from './snapshots';
import { Store } from './store';

export interface StartOptions {
  options: ServerOptions;
  /** Config of a new run (a resumed run keeps its stored config). */
  runConfig: RunConfig;
  /**
   * True (default) when `runConfig` was chosen by the operator: an unfinished run with another
   * config is then not resumed. main.ts passes false when no --config file was given.
   */
  explicitConfig?: boolean;
  /** Where a task's splits come from (default: packed once into options.dataDir). */
  loader?: SplitsLoader;
  /** Unix time in ms (default Date.now); tests inject one to age peers. */
  clock?: () => number;
  log?: (line: string) => void;
  /** Overrides of SERVER_TUNING (tests shorten intervals and test sets; main.ts reads --tuning). */
  tuning?: Partial<ServerTuning>;
  /** Catch exceptions that escaped every handler instead of exiting (main.ts; tests leave it off). */
  guardProcess?: boolean;
}

export interface RunningServer {
  /** http://host:port, with the port actually bound (port 0 picks a free one). */
  url: string;
  port: number;
  /** The run hosted now (changes when the admin starts a new run). */
  readonly run: Run;
  /** The current run's dataset service. */
  readonly data: DatasetService;
  runs: RunLifecycle;
  hub: SignalingHub;
  store: Store;
  /** Recording one metric tick / downsampling by hand (tests); the server also does it on timers. */
  recorder: MetricsRecorder;
  /** Guards run control; `Authorization: Bearer <adminToken>`. */
  adminToken: string;
  /** Path of the SQLite database. */
  dbFile: string;
  /** The effective tunables (defaults plus overrides). */
  tuning: ServerTuning;
  close(): Promise<void>;
}

/** HTTP + socket.io + the run database, listening when the promise resolves. */
export async function startServer(o: StartOptions): Promise<RunningServer> {
  const log = o.log ?? ((line: string) => console.log(line));
  const clock = o.clock ?? Date.now;
  const tuning = resolveTuning(o.tuning);
  const { options } = o;
  const dbFile = options.dbFile ?? join(options.dataDir, 'starling.db');
  const adminToken = options.adminToken ?? newSecret();
  const counters = createCounters();
  const loader = o.loader ?? packedTaskLoader(options.dataDir, log);

  const store = Store.open(dbFile);
  const tasks = new TaskCatalog(store, options.dataDir);
  let runs: RunLifecycle;
  try {
    runs = RunLifecycle.open(
      { store, counters, loader, clock, log, tuning, resolveTask: (c) => tasks.resolve(c) },
      { config: o.runConfig, explicitConfig: o.explicitConfig ?? true, newRun: options.newRun },
    );
  } catch (e) {
    store.close();
    throw e;
  }
  const runtime = new ModelRuntime({ backends: tuning.evalBackends, evalBatchSize: tuning.evalBatchSize, log });
  let hub: SignalingHub | undefined;
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
    broadcast: (e) => hub?.broadcastEvaluation(e),
    flag: (runId, peerId, reason) => {
      if (runs.current.runId === runId) runs.current.peers.flag(peerId, 'rejected-snapshot', reason, clock());
    },
    log,
  });

  const gate = new ClientGate(tuning, options.trustProxy, clock);
  const http = createServer(
    httpServerOptions(tuning),
    createRequestHandler({
      runs,
      store,
      tasks,
      snapshots,
      exporter: new ModelExporter(runtime),
      setRunState: (u) => hub!.setRunState(u),
      adminToken,
      tuning,
      gate,
      clock,
      webDist: options.webDist,
      wasmDir: options.wasmDir ?? defaultWasmDir(),
      log,
    }),
  );
  guardHttpServer(http, { gate, tuning, counters });
  const io: IoServer = new Server(http, { serveClient: false, maxHttpBufferSize: tuning.maxHttpBufferSize });
  hub = new SignalingHub(io, runs, { clock, log, tuning, gate });
  const recorder = new MetricsRecorder({ runs, store, tuning, clock, log });

  try {
    await listen(http, options);
  } catch (e) {
    hub.close();
    await snapshots.close();
    await runtime.close();
    store.close();
    throw e;
  }
  recorder.start();
  // After listening, a server-level error (EMFILE on accept, ...) must not go unheard: without a
  // listener an 'error' event would end the process.
  http.on('error', (e) => {
    counters.internalErrors++;
    log(`http server error (still serving): ${e.message}`);
  });
  const unguard = o.guardProcess === true ? guardProcess(counters, log) : () => {};
  const port = (http.address() as AddressInfo).port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      recorder.close();
      hub!.close();
      // Closes every socket.io connection and the HTTP server. A client that does not read would
      // hold a graceful close up (for ws's 30 s close timeout): after a grace period it is cut.
      // (engine.io forgets a connection as its close starts, so the list is taken first.)
      const conns = Object.values((io.engine as unknown as { clients: Record<string, unknown> }).clients);
      const ioClosed = new Promise<void>((done) => void io.close(() => done()));
      http.closeAllConnections();
      const cut = setTimeout(() => {
        for (const conn of conns) terminate(conn);
      }, tuning.shutdownGraceMs);
      await ioClosed;
      clearTimeout(cut);
      // An evaluation in progress is stored before the database closes.
      await snapshots.close();
      await runtime.close();
      store.close();
      unguard();
    })();
    return closing;
  };
  return {
    url,
    port,
    get run() {
      return runs.current;
    },
    get data() {
      return runs.current.data;
    },
    runs,
    hub,
    store,
    recorder,
    adminToken,
    dbFile,
    tuning,
    close,
  };
}

function listen(http: ReturnType<typeof createServer>, options: ServerOptions): Promise<void> {
  return new Promise<void>((ready, fail) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (e.code === 'EADDRINUSE') fail(new ServerConfigError(`${where} is already in use; stop the other server or pick another --port`));
      else if (e.code === 'EACCES') fail(new ServerConfigError(`no permission to listen on ${where}; use a port above 1023`));
      else fail(e);
    };
    http.once('error', onError);
    http.listen(options.port, options.host, () => {
      http.off('error', onError);
      ready();
    });
  });
}
