import {
  describeIssues,
  isClientEvent,
  validateHello,
  validateLeave,
  validateSignal,
  validateTelemetry,
  type ClientEvent,
  type RejectCode,
  type ServerToClient,
  type ValidationIssue,
} from '@starling/protocol';
import { ConnectionLimiter, type ClientGate } from './client-gate';
import type { ClusterBus } from './cluster/bus';
import type { Delivery } from './cluster/messages';
import { countRejection, type ServerCounters } from './counters';
import type { IceIssuer } from './ice-servers';
import { Observers } from './observers';
import { sendLossless } from './outbound';
import { MAX_REJECT_MESSAGE_CHARS } from './run-host';
import type { IoServer, IoSocket } from './socket-types';
import type { ServerTuning } from './tuning';

export type { IoServer, SocketData } from './socket-types';

/**
 * The socket.io side of the server, and only that: connections, the per-connection limits
 * (`client-gate.ts`), validation of every client payload, and the checks a connection's own state
 * answers (hello first, observers send nothing). What passes goes to the run's host as an envelope
 * over the bus; what the host sends back is emitted here, one client at a time, so a client that
 * does not read is cut off instead of growing the server's memory (`outbound.ts`). Each process
 * has one hub for its own connections; with several processes the host may live in another one,
 * which is where the socket.io Redis adapter comes in (cluster/adapter-bus.ts). A peer's fresh
 * TURN credentials come from its own hub, before the ones it holds expire.
 */

export interface SignalingOptions {
  bus: ClusterBus;
  gate: ClientGate;
  ice: IceIssuer;
  counters: ServerCounters;
  tuning: ServerTuning;
  /** Unix time in ms; injectable so tests can age peers without waiting. */
  clock: () => number;
  log: (line: string) => void;
}

export class SignalingHub {
  /** This process's connections, by socket id. */
  private readonly sockets = new Map<string, IoSocket>();
  private readonly observers: Observers;
  private iceTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly io: IoServer,
    private readonly o: SignalingOptions,
  ) {
    this.observers = new Observers(o.tuning.maxBufferedBytes, () => o.counters);
    io.on('connection', (socket) => this.guarded('connection', () => this.onConnection(socket)));
    o.bus.onDelivery((d) => this.guarded(`delivery ${d.t}`, () => this.onDelivery(d)));
    const every = o.ice.refreshEveryMs;
    if (every !== null) {
      this.iceTimer = setInterval(() => this.guarded('ice refresh', () => this.refreshIce()), every);
      this.iceTimer.unref();
    }
  }

  /** Connections this process holds now. */
  get connections(): number {
    return this.sockets.size;
  }

  close(): void {
    clearInterval(this.iceTimer);
    this.iceTimer = undefined;
  }

  private onConnection(socket: IoSocket): void {
    const { gate, counters, tuning } = this.o;
    const address = gate.addresses.resolve(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
    if (!gate.socketOpened(address)) {
      counters.connectionsRefused++;
      socket.disconnect(true);
      return;
    }
    socket.data.address = address;
    this.sockets.set(socket.id, socket);
    counters.connections++;
    const limiter = new ConnectionLimiter(tuning, this.o.clock());
    // Before any handler: the rate limit, then unknown events (socket.io runs this per packet).
    socket.use(([event], next) => this.guarded('limit', () => this.admitEvent(socket, limiter, event, next)));
    // Undecodable packets (socket.io closes that connection itself) and middleware errors.
    socket.on('error', () => {
      counters.socketErrors++;
    });
    // Listeners take `unknown`: the declared payload types describe honest clients only.
    socket.on('hello', (p: unknown) => this.guarded('hello', () => this.onHello(socket, p)));
    socket.on('signal', (p: unknown) => this.guarded('signal', () => this.onPeerEvent(socket, 'signal', p)));
    socket.on('telemetry', (p: unknown) => this.guarded('telemetry', () => this.onPeerEvent(socket, 'telemetry', p)));
    socket.on('leave', (p: unknown) => this.guarded('leave', () => this.onPeerEvent(socket, 'leave', p)));
    socket.on('disconnect', () =>
      this.guarded('disconnect', () => {
        counters.disconnections++;
        gate.socketClosed(address);
        this.observers.delete(socket);
        this.sockets.delete(socket.id);
        if (socket.data.hello !== undefined) this.o.bus.toHost({ t: 'gone', hub: this.o.bus.hubId, sid: socket.id });
        socket.data = {};
      }),
    );
  }

  private admitEvent(socket: IoSocket, limiter: ConnectionLimiter, event: unknown, next: () => void): void {
    // Packets that arrived in the same batch as the one that got this connection cut off.
    if (!socket.connected) return;
    const verdict = limiter.check(event, this.o.clock());
    const name = String(event);
    if (verdict === 'ok') {
      if (isClientEvent(event)) next();
      else this.reject(socket, name, 'unknown-event', 'not a protocol event; see @starling/protocol ClientToServer');
      return;
    }
    if (verdict === 'refuse') {
      const what = event === 'signal' ? 'signals' : 'events';
      this.reject(socket, name, 'rate-limited', `too many ${what} on this connection; the rest are dropped until you slow down`);
      return;
    }
    countRejection(this.o.counters, 'rate-limited');
    if (verdict === 'disconnect') {
      this.o.counters.floodDisconnects++;
      this.o.log(`disconnected a client at ${socket.data.address} for flooding events`);
      socket.disconnect(true);
    }
  }

  private onHello(socket: IoSocket, payload: unknown): void {
    const { data } = socket;
    if (data.hello !== undefined) {
      this.reject(socket, 'hello', 'already-joined', `this connection already said hello (as ${data.role ?? data.hello.role})`);
      return;
    }
    const v = validateHello(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'hello', v.issues);
    data.hello = v.value;
    this.sendHello(socket);
  }

  private sendHello(socket: IoSocket): void {
    const { hello, address } = socket.data;
    if (hello === undefined) return;
    this.o.bus.toHost({ t: 'hello', hub: this.o.bus.hubId, sid: socket.id, address: address ?? 'unknown', hello });
  }

  /** signal / telemetry / leave: only from an admitted peer, and only valid payloads reach the host. */
  private onPeerEvent(socket: IoSocket, event: Exclude<ClientEvent, 'hello'>, payload: unknown): void {
    const { role, peerId } = socket.data;
    if (role === undefined) return this.reject(socket, event, 'hello-required', `send a valid 'hello' (and wait for 'welcome') before '${event}'`);
    if (role === 'observer' || peerId === undefined) return this.reject(socket, event, 'not-a-peer', `observers cannot send '${event}'`);
    const hub = this.o.bus.hubId;
    const sid = socket.id;
    if (event === 'signal') {
      const v = validateSignal(payload);
      if (!v.ok) return this.rejectInvalid(socket, event, v.issues);
      this.o.bus.toHost({ t: 'signal', hub, sid, signal: v.value });
    } else if (event === 'telemetry') {
      const v = validateTelemetry(payload);
      if (!v.ok) return this.rejectInvalid(socket, event, v.issues);
      this.o.bus.toHost({ t: 'telemetry', hub, sid, telemetry: v.value });
    } else {
      const v = validateLeave(payload);
      if (!v.ok) return this.rejectInvalid(socket, event, v.issues);
      // The connection may `hello` again, as a new peer.
      socket.data = { address: socket.data.address };
      this.o.bus.toHost({ t: 'leave', hub, sid });
    }
  }

  private onDelivery(d: Delivery): void {
    switch (d.t) {
      case 'emit': {
        const s = this.sockets.get(d.sid);
        if (s !== undefined) this.sendTo(s, d.event, d.payload);
        return;
      }
      case 'observers':
        if (d.periodic) this.observers.sendPeriodic(d.event, () => [d.payload] as never);
        else this.observers.send(d.event, ...([d.payload] as [never]));
        return;
      case 'all':
        this.io.local.emit(d.event, ...([d.payload] as [never]));
        return;
      case 'role': {
        const s = this.sockets.get(d.sid);
        if (s === undefined) return;
        if (d.role === null) {
          this.observers.delete(s);
          s.data = { address: s.data.address };
          return;
        }
        s.data.role = d.role;
        s.data.peerId = d.peerId;
        s.data.runIce = d.runIce;
        if (d.role === 'observer') this.observers.add(s);
        return;
      }
      case 'disconnect': {
        const s = this.sockets.get(d.sid);
        if (s === undefined) return;
        s.data = { address: s.data.address }; // the host already counted its departure
        s.disconnect(true);
        return;
      }
      case 'rehello':
        // A new host knows nobody: every client that had said hello says it again (peers get new ids
        // and a welcome of the same run, which they take as a rejoin with their own model).
        for (const s of this.sockets.values()) {
          if (s.data.hello === undefined) continue;
          this.observers.delete(s);
          s.data = { address: s.data.address, hello: s.data.hello };
          this.sendHello(s);
        }
        return;
    }
  }

  /** Fresh TURN credentials for every peer of this process, well before the ones it holds expire. */
  private refreshIce(): void {
    for (const s of this.sockets.values()) {
      const { role, peerId, runIce } = s.data;
      if (role === 'peer' && peerId !== undefined) this.sendTo(s, 'ice-servers', this.o.ice.issue(runIce ?? [], String(peerId)));
    }
  }

  /**
   * A message the client must not miss: sent, unless it already has `maxBufferedBytes` unread, in
   * which case it is disconnected (its departure follows from the disconnect).
   */
  private sendTo(socket: IoSocket, event: keyof ServerToClient, payload: unknown): void {
    const emit = () => socket.emit(event, ...([payload] as [never]));
    if (sendLossless(socket, this.o.tuning.maxBufferedBytes, emit) === 'sent') return;
    this.o.counters.slowClientDisconnects++;
    this.o.log(`disconnected a client at ${socket.data.address}: it had more than ${this.o.tuning.maxBufferedBytes} bytes unread`);
  }

  private rejectInvalid(socket: IoSocket, event: string, issues: ValidationIssue[]): void {
    this.reject(socket, event, 'invalid-payload', describeIssues(issues));
  }

  private reject(socket: IoSocket, event: string, code: RejectCode, message: string): void {
    countRejection(this.o.counters, code);
    socket.emit('rejected', {
      event: event.slice(0, this.o.tuning.maxEventNameChars),
      code,
      message: message.slice(0, MAX_REJECT_MESSAGE_CHARS),
    });
  }

  /** Run a handler; a throw is a server bug: count it, log it, keep serving. */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.o.counters.internalErrors++;
      this.o.log(`internal error in ${what}: ${(e as Error).stack ?? String(e)}`);
    }
  }
}
