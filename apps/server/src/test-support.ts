/** Helpers for the server's tests: a server on a free port, clients, and awaiting events. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSet } from '@starling/tasks';
import {
  parseRunConfig,
  type ClientToServer,
  type ObservingPayload,
  type RunConfigInput,
  type ServerToClient,
  type TelemetryPayload,
  type WelcomePayload,
} from '@starling/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { parseServerOptions, type ServerOptionsInput, type ServerTuning } from './config';
import type { Splits, SplitsLoader } from './datasets';
import { startServer, type RunningServer } from './server';

export type Client = Socket<ServerToClient, ClientToServer>;

const EVENT_TIMEOUT_MS = 3000;

/** A deterministic small set with real MNIST dimensions; labels cycle 0..9. */
export function syntheticSet(count: number, salt: number): DataSet {
  const rows = 28;
  const cols = 28;
  const images = new Uint8Array(count * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = (i * 31 + salt) & 0xff;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = (i * 7 + salt) % 10;
  return { layout: 'examples', featureShape: [rows, cols, 1], features: images, targets: labels, count, classes: 10 };
}

export function syntheticSplits(): Splits {
  return { train: syntheticSet(400, 1), test: syntheticSet(50, 2) };
}

export interface TestServerOptions {
  options?: ServerOptionsInput;
  clock?: () => number;
  tuning?: Partial<ServerTuning>;
  splits?: Splits;
  /** Instead of `splits`, e.g. to hold the data back until a test is ready. */
  loader?: SplitsLoader;
  log?: (line: string) => void;
}

/** A known admin token, so tests can call the control endpoints. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * A server on a free port with a small synthetic dataset. Unless `options.dataDir` is given, its
 * database lives in a fresh temporary directory that `close()` removes.
 */
export async function startTestServer(config: RunConfigInput = {}, opts: TestServerOptions = {}): Promise<RunningServer> {
  const splits = opts.splits ?? syntheticSplits();
  const ownDir = opts.options?.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'starling-server-')) : undefined;
  const server = await startServer({
    options: parseServerOptions({ port: 0, host: '127.0.0.1', adminToken: TEST_ADMIN_TOKEN, dataDir: ownDir, ...opts.options }),
    runConfig: parseRunConfig(config),
    // Built-in tasks get the small synthetic set; an uploaded task reads its own stored files.
    loader: opts.loader ?? (async (task) => (task.info.id.startsWith('custom-') ? task.data.load('', () => {}) : splits)),
    clock: opts.clock,
    log: opts.log ?? (() => {}),
    // Tests drive metric ticks and downsampling by hand (server.recorder), so timers never race them.
    tuning: { metricIntervalMs: 3_600_000, downsampleEveryMs: 3_600_000, ...opts.tuning },
  });
  if (ownDir === undefined) return server;
  const close = server.close;
  let closing: Promise<void> | undefined;
  server.close = () => (closing ??= close().then(() => rm(ownDir, { recursive: true, force: true })));
  return server;
}

/** Headers of an admin request. */
export function adminHeaders(token = TEST_ADMIN_TOKEN): Record<string, string> {
  return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
}

/** Resolves with the next `event` that satisfies `match`; rejects after a timeout naming the event. */
export function nextEvent<T>(socket: Client, event: string, match: (payload: T) => boolean = () => true, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  const s = socket as unknown as Socket; // untyped view: tests also wait for events by name
  return new Promise<T>((resolve, reject) => {
    const onEvent = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      s.off(event, onEvent);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      s.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    s.on(event, onEvent);
  });
}

/** A connected client (not yet said hello). */
export async function openClient(url: string): Promise<Client> {
  const socket: Client = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await nextEvent(socket, 'connect');
  return socket;
}

/** Connect and join as a peer; returns the socket and its welcome. */
export async function joinPeer(url: string, backend = 'wasm'): Promise<{ socket: Client; welcome: WelcomePayload }> {
  const socket = await openClient(url);
  const welcome = nextEvent<WelcomePayload>(socket, 'welcome');
  socket.emit('hello', { role: 'peer', backend });
  return { socket, welcome: await welcome };
}

/** Emit a raw event, bypassing the typed event map (malformed payloads, unknown events). */
export function emitRaw(socket: Client, event: string, ...args: unknown[]): void {
  (socket as unknown as Socket).emit(event, ...args);
}

/** Connect and join as an observer (dashboard); returns the socket and its `observing`. */
export async function joinObserver(url: string): Promise<{ socket: Client; observing: ObservingPayload }> {
  const socket = await openClient(url);
  const observing = nextEvent<ObservingPayload>(socket, 'observing');
  socket.emit('hello', { role: 'observer', backend: 'none' });
  return { socket, observing: await observing };
}

/** A valid telemetry report; override what a test needs. */
export function telemetryReport(over: Partial<TelemetryPayload> = {}): TelemetryPayload {
  return {
    steps: 10,
    samples: 320,
    loss: 1.5,
    stepsPerSec: 20,
    backend: 'wasm',
    bytesSent: 1,
    bytesReceived: 2,
    framesSent: 3,
    framesReceived: 4,
    framesLost: 0,
    framesRejected: 0,
    computeMs: 5,
    commMs: 6,
    epoch: 1,
    neighbours: 0,
    ...over,
  };
}

/** Servers and clients a test opened, closed together by `cleanup()` (call it in afterEach). */
export class TestSession {
  private readonly servers: RunningServer[] = [];
  private readonly clients: Client[] = [];

  async start(config: RunConfigInput = {}, opts: TestServerOptions = {}): Promise<RunningServer> {
    const s = await startTestServer(config, opts);
    this.servers.push(s);
    return s;
  }

  async peer(url: string): Promise<{ socket: Client; welcome: WelcomePayload }> {
    const p = await joinPeer(url);
    this.clients.push(p.socket);
    return p;
  }

  async observer(url: string): Promise<{ socket: Client; observing: ObservingPayload }> {
    const o = await joinObserver(url);
    this.clients.push(o.socket);
    return o;
  }

  async cleanup(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    for (const s of this.servers.splice(0)) await s.close();
  }
}

/** Resolves once `cond()` holds, checking after every event-loop turn; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The bytes of a typed array as a fetch body (a copy: fetch's types want a plain ArrayBuffer). */
export function bodyOf(a: ArrayBufferView): Uint8Array<ArrayBuffer> {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}
