import type { PeerId } from '@starling/core';
import {
  describeIssues,
  isClientEvent,
  pathTo,
  validateHello,
  validateLeave,
  validateSignal,
  validateTelemetry,
  type Evaluation,
  type ObservingPayload,
  type PeersPayload,
  type RejectCode,
  type RunStatePayload,
  type RunStateUpdate,
  type ValidationIssue,
} from '@starling/protocol';
import { ClientGate, ConnectionLimiter } from './client-gate';
import type { EpochUpdate } from './coordinator';
import { countRejection } from './counters';
import { checkDivergence } from './divergence';
import type { RunLifecycle } from './lifecycle';
import { Observers } from './observers';
import { sendLossless } from './outbound';
import { IceIssuer } from './ice-servers';
import type { Run } from './run';
import type { IoServer, IoSocket } from './socket-types';
import { SERVER_TUNING, type ServerTuning } from './tuning';

export type { IoServer, SocketData } from './socket-types';

/**
 * socket.io side of the run: hello/welcome, WebRTC signal relay, telemetry, departures and epochs,
 * and moving every connected client to a new run. Every client payload is validated before use; a
 * bad one gets a `rejected` reply and a counter, and no handler can throw out into socket.io.
 * Per-client limits (`client-gate.ts`) come first: connections and seats per address, joins per
 * address, events per connection; and nothing is queued without bound for a client that does not
 * read (`outbound.ts`). Model data never comes this way: peers exchange it over their own data
 * channels and upload snapshots over HTTP.
 */

const MAX_REJECT_MESSAGE_CHARS = 1000;

export interface SignalingOptions {
  /** Unix time in ms; injectable so tests can age peers without waiting. */
  clock?: () => number;
  log?: (line: string) => void;
  tuning?: ServerTuning;
  /** The per-client limits shared with the HTTP side. */
  gate?: ClientGate;
  /** ICE servers and TURN credentials for peers (default: none). */
  ice?: IceIssuer;
}

export class SignalingHub {
  /** Socket of each live peer, for relaying and epoch announcements. */
  private readonly sockets = new Map<PeerId, IoSocket>();
  /** Address holding each live peer's seat. */
  private readonly seats = new Map<PeerId, string>();
  private readonly observers: Observers;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private peersTimer: ReturnType<typeof setInterval> | undefined;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly tuning: ServerTuning;
  private readonly gate: ClientGate;
  private readonly ice: IceIssuer;

  constructor(
    private readonly io: IoServer,
    private readonly runs: RunLifecycle,
    opts: SignalingOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.tuning = opts.tuning ?? SERVER_TUNING;
    this.gate = opts.gate ?? new ClientGate(this.tuning, [], this.clock);
    this.observers = new Observers(this.tuning.maxBufferedBytes, () => this.run.counters);
    this.ice = opts.ice ?? new IceIssuer({ stun: [] }, this.clock);
    io.on('connection', (socket) => this.guarded('connection', () => this.onConnection(socket)));
    this.startSweeping();
    this.peersTimer = setInterval(() => this.guarded('peers', () => {
      checkDivergence(this.run.peers, this.tuning.divergence, this.clock());
      this.broadcastPeers();
    }), this.tuning.peersBroadcastMs);
    this.peersTimer.unref();
    runs.onChange((next, previous) => this.guarded('run change', () => this.switchRun(next, previous)));
  }

  /** The run clients join now. */
  private get run(): Run {
    return this.runs.current;
  }

  private startSweeping(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    const sweepMs = Math.max(100, Math.floor(this.run.config.peerTimeoutMs / this.tuning.sweepsPerTimeout));
    this.sweepTimer = setInterval(() => this.guarded('sweep', () => this.sweep()), sweepMs);
    this.sweepTimer.unref();
  }

  /** Change paused / lossRate and tell every client. */
  setRunState(update: RunStateUpdate): RunStatePayload {
    const state = this.run.updateState(update);
    this.io.emit('run-state', state);
    this.log(`run state: paused=${state.paused} lossRate=${state.lossRate}`);
    return state;
  }

  /** Drop live peers silent for more than peerTimeoutMs; returns their ids. */
  sweep(now: number = this.clock()): PeerId[] {
    const silent = this.run.peers.silent(now, this.run.config.peerTimeoutMs);
    for (const id of silent) {
      const socket = this.sockets.get(id);
      this.depart(id, 'timed-out');
      if (socket !== undefined) {
        socket.data = { address: socket.data.address };
        socket.disconnect(true);
      }
    }
    return silent;
  }

  /** Send the peer table to observers (if any are connected and reading). */
  broadcastPeers(): void {
    this.observers.sendPeriodic('peers', () => [this.peersPayload()]);
  }

  /** A server evaluation of a snapshot, to every observer. */
  broadcastEvaluation(e: Evaluation): void {
    this.observers.send('evaluation', e);
  }

  close(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.peersTimer);
    this.sweepTimer = this.peersTimer = undefined;
  }

  /**
   * A new run started: every live peer joins it (all first, so each welcome already has the final
   * neighbour lists and no epoch chatter follows) and gets a fresh `welcome`; everyone gets
   * `run-changed`, observers also `observing`, `run-state`, `peers` for the new run. A moved peer
   * keeps its seat (and its address's count); it is not a new join.
   */
  private switchRun(next: Run, previous: Run): void {
    const movers = [...this.sockets.entries()].sort((a, b) => a[0] - b[0]);
    this.sockets.clear();
    this.io.emit('run-changed', { runId: next.runId });
    const joined: { socket: IoSocket; peerId: PeerId; shard: number }[] = [];
    const now = this.clock();
    for (const [oldId, socket] of movers) {
      const identity = previous.peers.identity(oldId) ?? { backend: 'unknown' };
      const moved = previous.movedOut(oldId);
      const address = this.seats.get(oldId);
      this.seats.delete(oldId);
      previous.peers.markGone(oldId, 'left', now);
      previous.forgetPeer(oldId);
      const j = next.coordinator.join();
      if (!j.ok) {
        if (address !== undefined) this.gate.seatFreed(address);
        socket.data = { address: socket.data.address }; // may hello again later
        this.reject(socket, 'hello', j.code, `${j.message}; the new run ${next.runId} has no room`);
        continue;
      }
      socket.data.peerId = j.peerId;
      this.sockets.set(j.peerId, socket);
      if (address !== undefined) this.seats.set(j.peerId, address);
      next.peers.add(j.peerId, { ...identity, shard: j.shard }, now);
      next.admitPeer(j.peerId, now, moved);
      joined.push({ socket, peerId: j.peerId, shard: j.shard });
    }
    for (const { socket, peerId, shard } of joined) this.welcome(socket, peerId, shard);
    if (joined.length > 0) this.runs.peerJoined(next);
    this.startSweeping();
    this.observers.send('observing', this.observingPayload());
    this.observers.send('run-state', next.state);
    this.observers.send('peers', this.peersPayload());
    this.log(`moved ${joined.length} peer(s) from run ${previous.runId} to run ${next.runId}`);
  }

  private observingPayload(): ObservingPayload {
    const { run } = this;
    return { runId: run.runId, config: run.config, task: run.task, epoch: run.coordinator.epoch, members: run.coordinator.members(), topology: run.topology() };
  }

  /** `welcome` (with a fresh upload token) and `run-state` to a peer that joined the current run. */
  private welcome(socket: IoSocket, peerId: PeerId, shard: number): void {
    const { run } = this;
    socket.emit('welcome', {
      peerId,
      runId: run.runId,
      config: run.config,
      epoch: run.coordinator.epoch,
      neighbours: run.coordinator.neighboursOf(peerId)!,
      shard: { index: shard, count: run.config.shards.count, url: pathTo('shard', { index: shard }) },
      testUrl: pathTo('testSet'),
      task: run.task,
      uploadToken: run.issueUploadToken(peerId),
      checkpointUrl: this.runs.checkpointUrl(run),
      ice: this.ice.issue(run.config.iceServers, String(peerId)),
    });
    socket.emit('run-state', run.state);
  }

  private peersPayload(): PeersPayload {
    return { at: this.clock(), epoch: this.run.coordinator.epoch, peers: this.run.peers.summaries() };
  }

  private onConnection(socket: IoSocket): void {
    const address = this.gate.addresses.resolve(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
    if (!this.gate.socketOpened(address)) {
      this.run.counters.connectionsRefused++;
      socket.disconnect(true);
      return;
    }
    socket.data.address = address;
    this.run.counters.connections++;
    const limiter = new ConnectionLimiter(this.tuning, this.clock());
    // Before any handler: the rate limit, then unknown events (socket.io runs this per packet).
    socket.use(([event], next) => this.guarded('limit', () => this.admitEvent(socket, limiter, event, next)));
    // Undecodable packets (socket.io closes that connection itself) and middleware errors.
    socket.on('error', () => {
      this.run.counters.socketErrors++;
    });
    // Listeners take `unknown`: the declared payload types describe honest clients only.
    socket.on('hello', (p: unknown) => this.guarded('hello', () => this.onHello(socket, p)));
    socket.on('signal', (p: unknown) => this.guarded('signal', () => this.onSignal(socket, p)));
    socket.on('telemetry', (p: unknown) => this.guarded('telemetry', () => this.onTelemetry(socket, p)));
    socket.on('leave', (p: unknown) => this.guarded('leave', () => this.onLeave(socket, p)));
    socket.on('disconnect', () =>
      this.guarded('disconnect', () => {
        this.run.counters.disconnections++;
        this.gate.socketClosed(address);
        this.observers.delete(socket);
        const id = socket.data.peerId;
        if (socket.data.role === 'peer' && id !== undefined) this.depart(id, 'left');
        socket.data = {};
      }),
    );
  }

  private admitEvent(socket: IoSocket, limiter: ConnectionLimiter, event: unknown, next: () => void): void {
    // Packets that arrived in the same batch as the one that got this connection cut off.
    if (!socket.connected) return;
    const verdict = limiter.check(event, this.clock());
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
    countRejection(this.run.counters, 'rate-limited');
    if (verdict === 'disconnect') {
      this.run.counters.floodDisconnects++;
      this.log(`disconnected a client at ${socket.data.address} for flooding events`);
      socket.disconnect(true);
    }
  }

  private onHello(socket: IoSocket, payload: unknown): void {
    if (socket.data.role !== undefined) {
      this.reject(socket, 'hello', 'already-joined', `this connection already joined as ${socket.data.role}`);
      return;
    }
    const v = validateHello(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'hello', v.issues);
    const hello = v.value;
    const { run } = this;
    if (hello.role === 'observer') {
      socket.data.role = 'observer';
      this.observers.add(socket);
      run.counters.observersJoined++;
      socket.emit('observing', this.observingPayload());
      socket.emit('run-state', run.state);
      socket.emit('peers', this.peersPayload());
      return;
    }
    const address = socket.data.address ?? 'unknown';
    const allowed = this.gate.join(address);
    if (!allowed.ok) return this.reject(socket, 'hello', allowed.code, allowed.message);
    const joined = run.coordinator.join();
    if (!joined.ok) return this.reject(socket, 'hello', joined.code, joined.message);
    const { peerId, shard, epoch, neighbours } = joined;
    const now = this.clock();
    socket.data.role = 'peer';
    socket.data.peerId = peerId;
    this.sockets.set(peerId, socket);
    this.seats.set(peerId, address);
    this.gate.seatTaken(address);
    run.peers.add(peerId, { backend: hello.backend, device: hello.device, shard }, now);
    run.admitPeer(peerId, now);
    run.counters.peersJoined++;
    this.runs.peerJoined(run);
    this.welcome(socket, peerId, shard);
    this.announce(joined.updates);
    this.log(`peer ${peerId} joined (${hello.backend}), shard ${shard}, epoch ${epoch}, members [${neighbours.members.join(', ')}]`);
  }

  private onSignal(socket: IoSocket, payload: unknown): void {
    const from = this.requirePeer(socket, 'signal');
    if (from === undefined) return;
    const v = validateSignal(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'signal', v.issues);
    this.run.peers.touch(from, this.clock());
    const { to, data } = v.value;
    const target = to === from ? undefined : this.sockets.get(to);
    if (target === undefined || !this.run.coordinator.has(to)) {
      this.reject(socket, 'signal', 'unknown-peer', `peer ${to} is not another live peer of this run`);
      return;
    }
    if (this.sendTo(target, () => target.emit('signal', { from, data }))) this.run.counters.signalsRelayed++;
    else this.reject(socket, 'signal', 'unknown-peer', `peer ${to} was disconnected: it was not reading its messages`);
  }

  private onTelemetry(socket: IoSocket, payload: unknown): void {
    const id = this.requirePeer(socket, 'telemetry');
    if (id === undefined) return;
    const v = validateTelemetry(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'telemetry', v.issues);
    const now = this.clock();
    // An implausible report is still a sign of life; its content is not kept.
    this.run.peers.touch(id, now);
    const r = this.run.recordTelemetry(id, v.value, now);
    if (r.ok) {
      this.run.counters.telemetryReports++;
      return;
    }
    this.run.counters.telemetryImplausible++;
    this.reject(socket, 'telemetry', 'implausible-telemetry', `report refused and peer flagged: ${r.reason}`);
  }

  private onLeave(socket: IoSocket, payload: unknown): void {
    const id = this.requirePeer(socket, 'leave');
    if (id === undefined) return;
    const v = validateLeave(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'leave', v.issues);
    socket.data = { address: socket.data.address }; // the connection may `hello` again, as a new peer
    this.depart(id, 'left');
  }

  /** Remove a live peer and move everyone else to the next epoch. */
  private depart(id: PeerId, how: 'left' | 'timed-out'): void {
    const result = this.run.coordinator.leave(id);
    if (result === null) return;
    this.sockets.delete(id);
    const address = this.seats.get(id);
    if (address !== undefined) {
      this.seats.delete(id);
      this.gate.seatFreed(address);
    }
    this.run.forgetPeer(id);
    this.run.peers.markGone(id, how, this.clock());
    if (how === 'left') this.run.counters.leaves++;
    else this.run.counters.timeouts++;
    this.announce(result.updates);
    this.log(`peer ${id} ${how}, epoch ${result.epoch}, members [${this.run.coordinator.members().join(', ')}]`);
  }

  /** `epoch` to the peers whose lists changed; `topology` to observers. */
  private announce(updates: readonly EpochUpdate[]): void {
    for (const u of updates) {
      const s = this.sockets.get(u.peerId);
      if (s !== undefined) this.sendTo(s, () => s.emit('epoch', { epoch: u.epoch, neighbours: u.neighbours, members: u.neighbours.members }));
    }
    const { coordinator } = this.run;
    this.observers.send('topology', { epoch: coordinator.epoch, members: coordinator.members(), topology: this.run.topology() });
  }

  /**
   * A message a peer must not miss; false when the peer had `maxBufferedBytes` unread and was
   * disconnected instead (its departure follows from the disconnect).
   */
  private sendTo(socket: IoSocket, emit: () => void): boolean {
    if (sendLossless(socket, this.tuning.maxBufferedBytes, emit) === 'sent') return true;
    this.run.counters.slowClientDisconnects++;
    this.log(`disconnected a client at ${socket.data.address}: it had more than ${this.tuning.maxBufferedBytes} bytes unread`);
    return false;
  }

  /** The sender's peer id, or undefined after replying `rejected` (no hello yet, or an observer). */
  private requirePeer(socket: IoSocket, event: string): PeerId | undefined {
    const { role, peerId } = socket.data;
    if (role === undefined) this.reject(socket, event, 'hello-required', `send a valid 'hello' before '${event}'`);
    else if (role === 'observer' || peerId === undefined) this.reject(socket, event, 'not-a-peer', `observers cannot send '${event}'`);
    else return peerId;
    return undefined;
  }

  private rejectInvalid(socket: IoSocket, event: string, issues: ValidationIssue[]): void {
    this.reject(socket, event, 'invalid-payload', describeIssues(issues));
  }

  private reject(socket: IoSocket, event: string, code: RejectCode, message: string): void {
    countRejection(this.run.counters, code);
    socket.emit('rejected', {
      event: event.slice(0, this.tuning.maxEventNameChars),
      code,
      message: message.slice(0, MAX_REJECT_MESSAGE_CHARS),
    });
  }

  /** Run a handler; a throw is a server bug: count it, log it, keep serving. */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.run.counters.internalErrors++;
      this.log(`internal error in ${what}: ${(e as Error).stack ?? String(e)}`);
    }
  }
}
