import type {
  ClientToServer, EpochPayload, GrowPayload, HelloPayload, IceServersPayload, RunStatePayload, ServerToClient, SignalRelayPayload, WelcomePayload,
} from '@starling/protocol';
import { io, type Socket } from 'socket.io-client';
import { PeerError } from './errors';

type ClientSocket = Socket<ServerToClient, ClientToServer>;

export interface SessionHandlers {
  /** Every welcome: the first joins, later ones rejoin (reconnect) or switch to a new run. */
  welcome(w: WelcomePayload): Promise<void>;
  epoch(e: EpochPayload): void;
  grow(g: GrowPayload): void;
  signal(s: SignalRelayPayload): void;
  runState(r: RunStatePayload): void;
  /** Fresh ICE servers (TURN credentials), as sent; the runtime validates them. */
  ice(payload: IceServersPayload): void;
  /** The socket dropped; socket.io (or this session) is reconnecting. */
  disconnected(): void;
  /** A later welcome failed to set up. */
  failed(e: unknown): void;
}

export interface SessionOptions {
  serverUrl: string;
  hello: () => HelloPayload;
  welcomeTimeoutMs: number;
  reconnectDelayMs: number;
  handlers: SessionHandlers;
}

/**
 * The peer's socket.io session with the server: hello on every (re)connect, typed events in,
 * typed events out. `ready` settles with the first welcome's set-up, or rejects with a PeerError
 * if the server cannot be reached or refuses us.
 */
export class ServerSession {
  readonly ready: Promise<void>;
  private readonly socket: ClientSocket;
  private closed = false;
  private helloSent = false;
  private settleOnClose: () => void = () => {};

  constructor(opts: SessionOptions) {
    const socket: ClientSocket = io(opts.serverUrl, { transports: ['websocket'] });
    this.socket = socket;
    const h = opts.handlers;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new PeerError('server-unreachable', `no answer from ${opts.serverUrl} within ${opts.welcomeTimeoutMs} ms`)),
        opts.welcomeTimeoutMs,
      );
      // Closed before the first welcome: nothing to wait for, and no timeout to report.
      this.settleOnClose = () => {
        clearTimeout(timer);
        resolve();
      };
      let first = true;
      // Exactly one hello per connection, the first one included.
      socket.on('connect', () => this.hello(opts.hello()));
      socket.on('welcome', (w) => {
        clearTimeout(timer);
        const done = h.welcome(w);
        if (first) done.then(resolve, reject);
        else done.catch(h.failed);
        first = false;
      });
      socket.on('rejected', (r) => {
        if (r.event !== 'hello') return;
        clearTimeout(timer);
        const err = new PeerError('server-rejected', `${r.code}: ${r.message}`);
        // A knock after a server disconnect refused (ejected, run full): this peer cannot go on.
        if (first) reject(err);
        else h.failed(err);
      });
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      h.disconnected();
      // socket.io retries by itself except when the server closed us (e.g. it timed us out
      // while we were busy); then we knock again, and the new welcome rejoins with our model.
      if (reason === 'io server disconnect') setTimeout(() => !this.closed && socket.connect(), opts.reconnectDelayMs);
    });
    socket.on('epoch', h.epoch);
    socket.on('grow', h.grow);
    socket.on('signal', h.signal);
    socket.on('run-state', h.runState);
    socket.on('ice-servers', h.ice);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  emit<E extends keyof ClientToServer>(event: E, ...args: Parameters<ClientToServer[E]>): void {
    this.socket.emit(event, ...args);
  }

  /** Drop the connection and say hello again: the new welcome is a rejoin with our own model. */
  reconnect(): void {
    if (this.closed) return;
    this.socket.disconnect();
    this.socket.connect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settleOnClose();
    if (this.helloSent) this.socket.emit('leave', {});
    this.socket.disconnect();
  }

  private hello(payload: HelloPayload): void {
    this.helloSent = true;
    this.socket.emit('hello', payload);
  }
}
