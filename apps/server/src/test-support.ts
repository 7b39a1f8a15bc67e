/** Helpers for the server's tests: a server on a free port, clients, and awaiting events. */
import type { MnistSet } from '@starling/mnist';
import { parseRunConfig, type ClientToServer, type RunConfigInput, type ServerToClient, type WelcomePayload } from '@starling/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { parseServerOptions, type ServerOptionsInput } from './config';
import type { Splits } from './datasets';
import { startServer, type RunningServer } from './server';

export type Client = Socket<ServerToClient, ClientToServer>;

const EVENT_TIMEOUT_MS = 3000;

/** A deterministic small set with real MNIST dimensions; labels cycle 0..9. */
export function syntheticSet(count: number, salt: number): MnistSet {
  const rows = 28;
  const cols = 28;
  const images = new Uint8Array(count * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = (i * 31 + salt) & 0xff;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = (i * 7 + salt) % 10;
  return { rows, cols, count, images, labels };
}

export function syntheticSplits(): Splits {
  return { train: syntheticSet(400, 1), test: syntheticSet(50, 2) };
}

export async function startTestServer(
  config: RunConfigInput = {},
  opts: { options?: ServerOptionsInput; clock?: () => number } = {},
): Promise<RunningServer> {
  const splits = syntheticSplits();
  return startServer({
    options: parseServerOptions({ port: 0, host: '127.0.0.1', ...opts.options }),
    runConfig: parseRunConfig(config),
    loader: async () => splits,
    clock: opts.clock,
    log: () => {},
  });
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
