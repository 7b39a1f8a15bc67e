import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { RunConfig } from '@starling/protocol';
import { Server } from 'socket.io';
import { newSecret } from './admin';
import { ClientGate } from './client-gate';
import { LocalBus, type ClusterBus } from './cluster/bus';
import { ClusterNode } from './cluster/node';
import { defaultWasmDir, resolveTuning, ServerConfigError, type ServerOptions, type ServerTuning } from './config';
import { createCounters, type ServerCounters } from './counters';
import { packedTaskLoader, type DatasetService, type SplitsLoader } from './datasets';
import { guardHttpServer, httpServerOptions } from './http-guard';
import { IceIssuer } from './ice-servers';
import type { RunLifecycle } from './lifecycle';
import type { MetricsRecorder } from './metrics-recorder';
import { terminate } from './outbound';
import { openOwner, type Owner } from './owner';
import { listenError } from './port-probe';
import { guardProcess } from './process-guard';
import type { Run } from './run';
import type { RunHost } from './run-host';
import { SignalingHub, type IoServer } from './signaling';
import type { Store } from './store';

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
  /** http(s)://host:port, with the port actually bound (port 0 picks a free one). */
  url: string;
  port: number;
  /** Whether this process owns the run now (always, without --redis). */
  readonly owner: boolean;
  /** The run hosted now (changes when the admin starts a new run). Only in the owning process. */
  readonly run: Run;
  /** The current run's dataset service. Only in the owning process. */
  readonly data: DatasetService;
  readonly runs: RunLifecycle;
  readonly host: RunHost;
  readonly store: Store;
  /** Recording one metric tick / downsampling by hand (tests); the server also does it on timers. */
  readonly recorder: MetricsRecorder;
  hub: SignalingHub;
  /** This process's counters (the owner's also count the run's membership events). */
  counters: ServerCounters;
  /** Guards run control; `Authorization: Bearer <adminToken>`. */
  adminToken: string;
  /** Path of the SQLite database. */
  dbFile: string;
  /** The effective tunables (defaults plus overrides). */
  tuning: ServerTuning;
  /** With --redis: this process's id in the cluster. */
  clusterId: string | null;
  /** Resolves when this process owns the run (at once without --redis). */
  owned(): Promise<void>;
  close(): Promise<void>;
}

/**
 * HTTP(S) + socket.io, listening when the promise resolves. Without --redis it is one process
 * that owns its run (database, membership, evaluation). With --redis it is one of several
 * processes: it always serves its own socket.io clients, and owns the run only while it holds the
 * cluster's lease (cluster/node.ts); until then it passes HTTP API requests on to the owner.
 */
export async function startServer(o: StartOptions): Promise<RunningServer> {
  const log = o.log ?? ((line: string) => console.log(line));
  const clock = o.clock ?? Date.now;
  const tuning = resolveTuning(o.tuning);
  const { options } = o;
  const dbFile = options.dbFile ?? join(options.dataDir, 'starling.db');
  const counters = createCounters();
  const loader = o.loader ?? packedTaskLoader(options.dataDir, log);
  const gate = new ClientGate(tuning, options.trustProxy, clock);
  const tls = await readTls(options);
  const ice = new IceIssuer({ stun: options.stun, turn: await turnOptions(options) }, clock);

  let owner: Owner | null = null;
  let cluster: ClusterNode | null = null;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (owner !== null) return owner.handler(req, res);
    res.on('error', () => {});
    const client = gate.addresses.resolve(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const wait = gate.requestWaitMs(client);
    if (wait > 0 || cluster === null) {
      res.writeHead(wait > 0 ? 429 : 503, { 'Content-Type': 'application/json', 'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))) });
      res.end(JSON.stringify({ error: { code: wait > 0 ? 'rate-limited' : 'unavailable', message: wait > 0 ? `too many requests; try again in ${wait} ms` : 'starting' } }));
      return;
    }
    cluster.forward(req, res, client);
  };
  const http: HttpServer = tls === null ? createHttpServer(httpServerOptions(tuning), onRequest) : createHttpsServer({ ...httpServerOptions(tuning), ...tls }, onRequest);
  http.keepAliveTimeout = tuning.keepAliveTimeoutMs;
  guardHttpServer(http, { gate, tuning, counters });
  const io: IoServer = new Server(http, { serveClient: false, maxHttpBufferSize: tuning.maxHttpBufferSize });

  const scheme = tls === null ? 'http' : 'https';
  let advertisedUrl = options.advertiseUrl ?? '';
  let bus: ClusterBus;
  let adminToken: string;
  if (options.redis === undefined) {
    bus = new LocalBus();
    adminToken = options.adminToken ?? newSecret();
  } else {
    cluster = await ClusterNode.connect(io, {
      redisUrl: options.redis,
      // Known once we listen; the lease is only taken after that.
      url: () => advertisedUrl,
      leaseMs: tuning.ownerLeaseMs,
      proxyTimeoutMs: tuning.proxyTimeoutMs,
      adminToken: options.adminToken,
      tlsCert: tls?.cert,
      log,
    });
    bus = cluster.bus;
    adminToken = cluster.adminToken;
  }
  const hub = new SignalingHub(io, { bus, gate, ice, counters, tuning, clock, log });

  const open = (takeover: boolean): Owner =>
    openOwner({
      dbFile,
      // A process taking over resumes whatever run is still running, whatever its own --config says.
      open: takeover ? { config: o.runConfig, explicitConfig: false, newRun: false } : { config: o.runConfig, explicitConfig: o.explicitConfig ?? true, newRun: options.newRun },
      bus,
      gate,
      ice,
      dataDir: options.dataDir,
      loader,
      counters,
      tuning,
      adminToken,
      clusterSecret: cluster?.clusterSecret,
      webDist: options.webDist,
      wasmDir: options.wasmDir ?? defaultWasmDir(),
      clock,
      log,
      onRun: (r) => void cluster?.recordRun(r.runId).catch((e: Error) => log(`cluster: recording the run id: ${e.message}`)),
      onRunState: (runId, s) => void cluster?.recordRunState(runId, s).catch((e: Error) => log(`cluster: recording the run state: ${e.message}`)),
    });

  if (cluster === null) owner = open(false);
  try {
    await listen(http, options);
  } catch (e) {
    hub.close();
    await owner?.close();
    await cluster?.close();
    throw e;
  }
  // After listening, a server-level error (EMFILE on accept, ...) must not go unheard: without a
  // listener an 'error' event would end the process.
  http.on('error', (e) => {
    counters.internalErrors++;
    log(`http server error (still serving): ${e.message}`);
  });
  const unguard = o.guardProcess === true ? guardProcess(counters, log) : () => {};
  const port = (http.address() as AddressInfo).port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  let ownedNow: () => void = () => {};
  const owned = new Promise<void>((resolve) => (ownedNow = resolve));
  if (cluster === null) ownedNow();
  else {
    const c = cluster;
    const reachable = options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host;
    advertisedUrl ||= `${scheme}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
    await c.start({
      own: async (takeover) => {
        const kit = open(takeover);
        const saved = takeover ? await c.runState(kit.runs.current.runId).catch(() => null) : null;
        if (saved !== null) kit.runs.current.updateState(saved);
        owner = kit;
        // Everyone connected anywhere says hello again to this new host.
        if (takeover) bus.deliver({ t: 'rehello' });
        ownedNow();
      },
      lose: async () => {
        const kit = owner;
        owner = null;
        await kit?.close();
      },
    });
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      hub.close();
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
      const kit = owner;
      owner = null;
      await kit?.close();
      await cluster?.close();
      unguard();
    })();
    return closing;
  };
  const need = (): Owner => {
    if (owner === null) throw new Error('this process does not own the run (another process of the cluster does)');
    return owner;
  };
  return {
    url,
    port,
    get owner() {
      return owner !== null;
    },
    get run() {
      return need().runs.current;
    },
    get data() {
      return need().runs.current.data;
    },
    get runs() {
      return need().runs;
    },
    get host() {
      return need().host;
    },
    get store() {
      return need().store;
    },
    get recorder() {
      return need().recorder;
    },
    hub,
    counters,
    adminToken,
    dbFile,
    tuning,
    clusterId: cluster?.id ?? null,
    owned: () => owned,
    close,
  };
}

/** The certificate and key of --tls-cert / --tls-key, or null for plain HTTP. */
async function readTls(options: ServerOptions): Promise<{ cert: Buffer; key: Buffer } | null> {
  if (options.tlsCert === undefined || options.tlsKey === undefined) return null;
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (e) {
      throw new ServerConfigError(`cannot read the TLS ${what} ${file}: ${(e as Error).message}`);
    }
  };
  const tls = { cert: await read(options.tlsCert, 'certificate'), key: await read(options.tlsKey, 'key') };
  try {
    // Node checks that they parse and belong together only when a server uses them.
    (await import('node:tls')).createSecureContext(tls);
  } catch (e) {
    throw new ServerConfigError(`the TLS certificate ${options.tlsCert} and key ${options.tlsKey} are not a usable pair: ${(e as Error).message}`);
  }
  return tls;
}

async function turnOptions(options: ServerOptions): Promise<{ urls: string[]; secret: string; ttlSeconds: number } | undefined> {
  if (options.turnUrls.length === 0) return undefined;
  let secret = options.turnSecret;
  if (options.turnSecretFile !== undefined) {
    try {
      secret = (await readFile(options.turnSecretFile, 'utf8')).trim();
    } catch (e) {
      throw new ServerConfigError(`cannot read the TURN secret file ${options.turnSecretFile}: ${(e as Error).message}`);
    }
  }
  if (secret === undefined || secret.length < 16) throw new ServerConfigError('the TURN secret must have at least 16 characters (--turn-secret-file or STARLING_TURN_SECRET)');
  return { urls: options.turnUrls, secret, ttlSeconds: options.turnTtlSeconds };
}

function listen(http: HttpServer, options: ServerOptions): Promise<void> {
  return new Promise<void>((ready, fail) => {
    const onError = (e: NodeJS.ErrnoException) => fail(listenError(e, options.host, options.port));
    http.once('error', onError);
    http.listen(options.port, options.host, () => {
      http.off('error', onError);
      ready();
    });
  });
}
