import type { PeerId } from '@starling/core';
import {
  describeIssues,
  isClientEvent,
  validateHello,
  validateLeave,
  validateSignal,
  validateTelemetry,
  type ClientToServer,
  type Evaluation,
  type ObservingPayload,
  type PeersPayload,
  type RejectCode,
  type RunStatePayload,
  type RunStateUpdate,
  type ServerToClient,
  type ValidationIssue,
} from '@starling/protocol';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import { SERVER_TUNING } from './config';
import type { EpochUpdate } from './coordinator';
import { checkDivergence } from './divergence';
import type { RunLifecycle } from './lifecycle';
import { ROUTES, shardUrl } from './routes';
import type { Run } from './run';

/**
 * socket.io side of the run: hello/welcome, WebRTC signal relay, telemetry, departures and epochs,
 * and moving every connected client to a new run. Every client payload is validated before use; a
 * bad one gets a `rejected` reply and a counter, and no handler can throw out into socket.io. Model
 * data never comes this way: peers exchange it over their own data channels and upload snapshots
 * over HTTP.
 */

/** Per-connection state; absent role = no valid `hello` yet. */
export interface SocketData {
  role?: 'peer' | 'observer';
  peerId?: PeerId;
}
export type IoServer = Server<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;
type IoSocket = Socket<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;

const OBSERVERS = 'observers';
const MAX_REJECT_MESSAGE_CHARS = 1000;

export interface SignalingOptions {
  /** Unix time in ms; injectable so tests can age peers without waiting. */
  clock?: () => number;
  log?: (line: string) => void;
}

export class SignalingHub {
  /** Socket of each live peer, for relaying and epoch announcements. */
  private readonly sockets = new Map<PeerId, IoSocket>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private peersTimer: ReturnType<typeof setInterval> | undefined;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly io: IoServer,
    private readonly runs: RunLifecycle,
    opts: SignalingOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? (() => {});
    io.on('connection', (socket) => this.onConnection(socket));
    this.startSweeping();
    this.peersTimer = setInterval(() => this.guarded('peers', () => {
      checkDivergence(this.run.peers, SERVER_TUNING.divergence, this.clock());
      this.broadcastPeers();
    }), SERVER_TUNING.peersBroadcastMs);
    this.peersTimer.unref();
    runs.onChange((next, previous) => this.guarded('run change', () => this.switchRun(next, previous)));
  }

  /** The run clients join now. */
  private get run(): Run {
    return this.runs.current;
  }

  private startSweeping(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    const sweepMs = Math.max(100, Math.floor(this.run.config.peerTimeoutMs / SERVER_TUNING.sweepsPerTimeout));
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
        socket.data = {};
        socket.disconnect(true);
      }
    }
    return silent;
  }

  /** Send the peer table to observers (if any are connected). */
  broadcastPeers(): void {
    if ((this.io.of('/').adapter.rooms.get(OBSERVERS)?.size ?? 0) === 0) return;
    this.io.to(OBSERVERS).emit('peers', this.peersPayload());
  }

  /** A server evaluation of a snapshot, to every observer. */
  broadcastEvaluation(e: Evaluation): void {
    this.io.to(OBSERVERS).emit('evaluation', e);
  }

  close(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.peersTimer);
    this.sweepTimer = this.peersTimer = undefined;
  }

  /**
   * A new run started: every live peer joins it (all first, so each welcome already has the final
   * neighbour lists and no epoch chatter follows) and gets a fresh `welcome`; everyone gets
   * `run-changed`, observers also `observing`, `run-state`, `peers` for the new run.
   */
  private switchRun(next: Run, previous: Run): void {
    const movers = [...this.sockets.entries()].sort((a, b) => a[0] - b[0]);
    this.sockets.clear();
    this.io.emit('run-changed', { runId: next.runId });
    const joined: { socket: IoSocket; peerId: PeerId; shard: number }[] = [];
    for (const [oldId, socket] of movers) {
      const identity = previous.peers.identity(oldId) ?? { backend: 'unknown' };
      previous.peers.markGone(oldId, 'left', this.clock());
      previous.forgetPeer(oldId);
      const j = next.coordinator.join();
      if (!j.ok) {
        socket.data = {}; // may hello again later
        this.reject(socket, 'hello', j.code, `${j.message}; the new run ${next.runId} has no room`);
        continue;
      }
      socket.data.peerId = j.peerId;
      this.sockets.set(j.peerId, socket);
      next.peers.add(j.peerId, { ...identity, shard: j.shard }, this.clock());
      next.countSamplesFrom(j.peerId, previous.reportedSamples(oldId) ?? 0);
      joined.push({ socket, peerId: j.peerId, shard: j.shard });
    }
    for (const { socket, peerId, shard } of joined) this.welcome(socket, peerId, shard);
    if (joined.length > 0) this.runs.peerJoined(next);
    this.startSweeping();
    const observers = this.io.to(OBSERVERS);
    observers.emit('observing', this.observingPayload());
    observers.emit('run-state', next.state);
    observers.emit('peers', this.peersPayload());
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
      shard: { index: shard, count: run.config.shards.count, url: shardUrl(shard) },
      testUrl: ROUTES.test,
      task: run.task,
      uploadToken: run.issueUploadToken(peerId),
      checkpointUrl: this.runs.checkpointUrl(run),
    });
    socket.emit('run-state', run.state);
  }

  private peersPayload(): PeersPayload {
    return { at: this.clock(), epoch: this.run.coordinator.epoch, peers: this.run.peers.summaries() };
  }

  private onConnection(socket: IoSocket): void {
    this.run.counters.connections++;
    socket.onAny((event: unknown) => {
      if (!isClientEvent(event)) this.reject(socket, String(event), 'unknown-event', 'not a protocol event; see @starling/protocol ClientToServer');
    });
    // Listeners take `unknown`: the declared payload types describe honest clients only.
    socket.on('hello', (p: unknown) => this.guarded('hello', () => this.onHello(socket, p)));
    socket.on('signal', (p: unknown) => this.guarded('signal', () => this.onSignal(socket, p)));
    socket.on('telemetry', (p: unknown) => this.guarded('telemetry', () => this.onTelemetry(socket, p)));
    socket.on('leave', (p: unknown) => this.guarded('leave', () => this.onLeave(socket, p)));
    socket.on('disconnect', () =>
      this.guarded('disconnect', () => {
        this.run.counters.disconnections++;
        const id = socket.data.peerId;
        if (socket.data.role === 'peer' && id !== undefined) this.depart(id, 'left');
        socket.data = {};
      }),
    );
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
      void socket.join(OBSERVERS);
      run.counters.observersJoined++;
      socket.emit('observing', this.observingPayload());
      socket.emit('run-state', run.state);
      socket.emit('peers', this.peersPayload());
      return;
    }
    const joined = run.coordinator.join();
    if (!joined.ok) return this.reject(socket, 'hello', joined.code, joined.message);
    const { peerId, shard, epoch, neighbours } = joined;
    socket.data.role = 'peer';
    socket.data.peerId = peerId;
    this.sockets.set(peerId, socket);
    run.peers.add(peerId, { backend: hello.backend, device: hello.device, shard }, this.clock());
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
    target.emit('signal', { from, data });
    this.run.counters.signalsRelayed++;
  }

  private onTelemetry(socket: IoSocket, payload: unknown): void {
    const id = this.requirePeer(socket, 'telemetry');
    if (id === undefined) return;
    const v = validateTelemetry(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'telemetry', v.issues);
    this.run.recordTelemetry(id, v.value, this.clock());
    this.run.counters.telemetryReports++;
  }

  private onLeave(socket: IoSocket, payload: unknown): void {
    const id = this.requirePeer(socket, 'leave');
    if (id === undefined) return;
    const v = validateLeave(payload);
    if (!v.ok) return this.rejectInvalid(socket, 'leave', v.issues);
    socket.data = {}; // the connection may `hello` again, as a new peer
    this.depart(id, 'left');
  }

  /** Remove a live peer and move everyone else to the next epoch. */
  private depart(id: PeerId, how: 'left' | 'timed-out'): void {
    const result = this.run.coordinator.leave(id);
    if (result === null) return;
    this.sockets.delete(id);
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
      this.sockets.get(u.peerId)?.emit('epoch', { epoch: u.epoch, neighbours: u.neighbours, members: u.neighbours.members });
    }
    const { coordinator } = this.run;
    this.io.to(OBSERVERS).emit('topology', { epoch: coordinator.epoch, members: coordinator.members(), topology: this.run.topology() });
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
    const c = this.run.counters;
    c.rejected++;
    c.rejectedByCode[code]++;
    socket.emit('rejected', {
      event: event.slice(0, SERVER_TUNING.maxEventNameChars),
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
