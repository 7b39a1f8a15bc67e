import { reportCounts, type PeerId } from '@starling/core';
import type { Evaluation, HelloPayload, RejectCode, RunStatePayload, RunStateUpdate, ServerToClient } from '@starling/protocol';
import type { ClientGate } from './client-gate';
import type { ClusterBus } from './cluster/bus';
import type { ClientEnvelope, HubId, SocketId } from './cluster/messages';
import type { EpochUpdate, GrowUpdate } from './coordinator';
import { countRejection, type ServerCounters } from './counters';
import { checkDivergence } from './divergence';
import { checkHostileFrames } from './hostile-frames';
import type { IceIssuer } from './ice-servers';
import type { RunLifecycle } from './lifecycle';
import type { Run } from './run';
import type { ServerTuning } from './tuning';

/**
 * The run's membership as the clients see it, in the one process that owns the run: who is
 * connected as which peer or observer, welcomes, epochs, signal relay, telemetry, time-outs, the
 * peers table, and moving everyone to a new run. It never touches a socket: it answers envelopes
 * from the hubs (signaling.ts) with deliveries over the bus, so the same code serves one process
 * (LocalBus) and a cluster (AdapterBus). Payloads arrive validated; membership checks happen here.
 */

interface Client {
  hub: HubId;
  role: 'peer' | 'observer';
  address: string;
  peerId?: PeerId;
}

export interface RunHostOptions {
  bus: ClusterBus;
  runs: RunLifecycle;
  /** Seats and joins per address are counted here, for the whole cluster. */
  gate: ClientGate;
  ice: IceIssuer;
  counters: ServerCounters;
  tuning: ServerTuning;
  clock: () => number;
  log: (line: string) => void;
  onRunState?: (runId: string, state: RunStatePayload) => void;
}

export class RunHost {
  private readonly clients = new Map<SocketId, Client>();
  /** Socket of each live peer of the current run. */
  private readonly sockets = new Map<PeerId, SocketId>();
  /** Admitted and seated, to be welcomed when the joins are next settled (settleJoins). */
  private readonly joining: { hub: HubId; sid: SocketId; peerId: PeerId; line: string }[] = [];
  /** The pending settleJoins (cancel it), and when the last one ran. */
  private settling: { cancel: () => void } | null = null;
  private lastSettled = Number.NEGATIVE_INFINITY;
  /** Addresses of ejected peers, and until when their joins are refused. */
  private readonly ejected = new Map<string, number>();
  private observers = 0;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  /**
   * The sweep timer's period, and when it last fired by the process's monotonic clock (a stall is
   * real time the event loop lost, whatever the run's clock says).
   */
  private sweepMs = 0;
  private lastSweepTick = 0;
  private readonly peersTimer: ReturnType<typeof setInterval>;
  /** When the hostile-frames verdict last ran, and the pending early one (judgeSoon). */
  private lastJudged = Number.NEGATIVE_INFINITY;
  private judgeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly o: RunHostOptions) {
    o.bus.attachHost((e) => this.guarded(e.t, () => this.onEnvelope(e)));
    this.startSweeping();
    this.peersTimer = setInterval(() => this.guarded('peers', () => {
      checkDivergence(this.run.peers, o.tuning.divergence, o.clock());
      this.judgeHostile();
      this.broadcastPeers();
    }), o.tuning.peersBroadcastMs);
    this.peersTimer.unref();
    o.runs.onChange((next, previous) => this.guarded('run change', () => this.switchRun(next, previous)));
  }

  /** Flags (and ejects) the senders the live peers' evidence convicts (hostile-frames.ts). */
  private judgeHostile(): void {
    this.lastJudged = this.o.clock();
    const convicted = checkHostileFrames(this.run.peers, this.o.tuning.hostileFrames, this.lastJudged);
    if (this.o.tuning.hostileFrames.ejectMs > 0) for (const id of convicted) this.eject(id);
  }

  /**
   * A report whose evidence counts against a sender arrived: judge now, or once hostileJudgeGapMs
   * has passed since the last verdict, instead of at the next broadcast (up to a second later).
   */
  private judgeSoon(): void {
    if (this.judgeTimer !== null) return;
    const wait = this.lastJudged + this.o.tuning.hostileJudgeGapMs - this.o.clock();
    this.judgeTimer = setTimeout(() => {
      this.judgeTimer = null;
      this.guarded('hostile verdict', () => this.judgeHostile());
    }, Math.max(0, wait));
    this.judgeTimer.unref();
  }

  private get run(): Run {
    return this.o.runs.current;
  }

  /** Change paused / lossRate and tell every client. */
  setRunState(update: RunStateUpdate): RunStatePayload {
    const state = this.run.updateState(update);
    this.o.bus.deliver({ t: 'all', event: 'run-state', payload: state });
    this.o.onRunState?.(this.run.runId, state);
    this.o.log(`run state: paused=${state.paused} lossRate=${state.lossRate}`);
    return state;
  }

  /** Drop live peers silent for more than peerTimeoutMs (and close their connections); returns their ids. */
  sweep(now: number = this.o.clock()): PeerId[] {
    const silent = this.run.peers.silent(now, this.run.config.peerTimeoutMs, this.o.tuning.joinGraceMs);
    for (const id of silent) {
      const sid = this.sockets.get(id);
      this.depart(id, 'timed-out');
      const c = sid === undefined ? undefined : this.clients.get(sid);
      if (sid !== undefined && c !== undefined) {
        this.drop(sid, c);
        this.o.bus.deliver({ t: 'disconnect', hub: c.hub, sid });
      }
    }
    return silent;
  }

  /** The peers table to every observer (built only when one watches). */
  broadcastPeers(): void {
    if (this.observers === 0) return;
    this.o.bus.deliver({ t: 'observers', event: 'peers', payload: this.run.peersPayload(this.o.clock()), periodic: true });
  }

  broadcastEvaluation(e: Evaluation): void {
    this.toObservers('evaluation', e);
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.settling?.cancel();
    clearInterval(this.peersTimer);
    if (this.judgeTimer !== null) clearTimeout(this.judgeTimer);
    this.o.bus.attachHost(null);
  }

  private startSweeping(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepMs = Math.max(100, Math.floor(this.run.config.peerTimeoutMs / this.o.tuning.sweepsPerTimeout));
    this.lastSweepTick = performance.now();
    this.sweepTimer = setInterval(() => this.guarded('sweep', () => this.onSweepTimer()), this.sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * A tick that comes a whole period late means the server itself stalled (a long synchronous
   * task, or no CPU on a loaded machine): the peers' reports from that time still wait in the
   * sockets, so the stall is excused rather than counted as their silence (PeerTable.excuse).
   */
  private onSweepTimer(): void {
    const tick = performance.now();
    const late = Math.round(tick - this.lastSweepTick - this.sweepMs);
    this.lastSweepTick = tick;
    if (late >= this.sweepMs) {
      this.run.peers.excuse(late);
      this.run.counters.serverStalls++;
      this.run.counters.serverStalledMs += late;
    }
    this.sweep();
  }

  private onEnvelope(e: ClientEnvelope): void {
    switch (e.t) {
      case 'hello':
        return this.onHello(e.hub, e.sid, e.address, e.hello);
      case 'signal': {
        const from = this.peerOf(e.sid);
        if (from === undefined) return;
        this.run.peers.touch(from, this.o.clock());
        const { to, data } = e.signal;
        const target = to === from ? undefined : this.sockets.get(to);
        const c = target === undefined ? undefined : this.clients.get(target);
        if (c === undefined || !this.run.coordinator.has(to)) {
          return this.reject(e.hub, e.sid, 'signal', 'unknown-peer', `peer ${to} is not another live peer of this run`);
        }
        this.emit(c.hub, target!, 'signal', { from, data });
        this.o.counters.signalsRelayed++;
        return;
      }
      case 'telemetry': {
        const id = this.peerOf(e.sid);
        if (id === undefined) return;
        const now = this.o.clock();
        // An implausible report is still a sign of life; its content is not kept.
        this.run.peers.touch(id, now);
        const r = this.run.recordTelemetry(id, e.telemetry, now);
        if (r.ok) {
          this.o.counters.telemetryReports++;
          if (e.telemetry.evidence?.some((ev) => reportCounts(ev, this.o.tuning.hostileFrames)) === true) this.judgeSoon();
          return;
        }
        this.o.counters.telemetryImplausible++;
        return this.reject(e.hub, e.sid, 'telemetry', 'implausible-telemetry', `report refused and peer flagged: ${r.reason}`);
      }
      case 'leave':
      case 'gone': {
        const c = this.clients.get(e.sid);
        if (c === undefined) return;
        this.drop(e.sid, c);
        if (c.peerId !== undefined) this.depart(c.peerId, 'left');
        if (e.t === 'leave') this.o.bus.deliver({ t: 'role', hub: e.hub, sid: e.sid, role: null });
        return;
      }
    }
  }

  private onHello(hub: HubId, sid: SocketId, address: string, hello: HelloPayload): void {
    const known = this.clients.get(sid);
    if (known !== undefined) {
      return this.reject(hub, sid, 'hello', 'already-joined', `this connection already joined as ${known.role}`);
    }
    const { run } = this;
    if (hello.role === 'observer') {
      this.clients.set(sid, { hub, role: 'observer', address });
      this.observers++;
      this.o.counters.observersJoined++;
      this.o.bus.deliver({ t: 'role', hub, sid, role: 'observer' });
      this.emit(hub, sid, 'observing', run.observing());
      this.emit(hub, sid, 'run-state', run.state);
      this.emit(hub, sid, 'peers', run.peersPayload(this.o.clock()));
      return;
    }
    const until = this.ejected.get(address);
    if (until !== undefined && this.o.clock() < until) {
      return this.refuse(hub, sid, 'ejected', `a peer from this address was ejected from the run for hostile frames; joins from it are refused for ${Math.ceil((until - this.o.clock()) / 1000)} s more`);
    }
    const allowed = this.o.gate.join(address);
    if (!allowed.ok) return this.refuse(hub, sid, allowed.code, allowed.message);
    const joined = run.admit({ backend: hello.backend, device: hello.device }, this.o.clock());
    if (!joined.ok) return this.refuse(hub, sid, joined.code, joined.message);
    this.seat(hub, sid, address, joined.peerId);
    this.joining.push({ hub, sid, peerId: joined.peerId, line: `${joined.peerId} (${hello.backend}, shard ${joined.shard})` });
    this.scheduleSettle();
  }

  /**
   * Settles the pending joins at the end of this turn of the event loop, or, when the previous
   * epoch was too recent, once (live peers / epochMessagesPerSec) seconds have passed since it.
   * Every epoch is a message to every live peer, so in a join storm this caps the epoch traffic
   * (bench-load at 2,000 clients: 186-354 epochs a peer, 175-311 MiB, while connects trickled in
   * over 28-50 s) and the tracker resets that come with each epoch; a small run is not slowed
   * (4 peers: 2 ms).
   */
  private scheduleSettle(): void {
    if (this.settling !== null) return;
    // The peers the epoch goes to: the live ones already welcomed (joiners get theirs in the welcome).
    // Joins that grow the topology tell only the few peers they attach to: nothing to pace.
    const live = this.run.coordinator.settleGrows() ? 0 : Math.max(0, this.sockets.size - this.joining.length);
    const gapMs = (1000 * live) / this.o.tuning.epochMessagesPerSec;
    const wait = this.lastSettled + gapMs - this.o.clock();
    const run = () => this.guarded('settle joins', () => this.settleJoins());
    if (wait <= 0) {
      const t = setImmediate(run);
      this.settling = { cancel: () => clearImmediate(t) };
    } else {
      const t = setTimeout(run, wait);
      this.settling = { cancel: () => clearTimeout(t) };
    }
  }

  /**
   * Welcomes everyone admitted since the last settling, all in one new epoch: in a burst of n joins
   * each live peer hears of one epoch per settling, not of n (issue 11's load bench).
   * A joiner gets its lists in the welcome; the epoch goes to the others.
   */
  private settleJoins(): void {
    this.settling = null;
    this.lastSettled = this.o.clock();
    const batch = this.joining.splice(0);
    const { run } = this;
    const settled = run.settle();
    // One that left (or was moved to a new run) meanwhile is no longer seated under that id.
    const seated = batch.filter((j) => this.sockets.get(j.peerId) === j.sid);
    if (seated.length === 0 && settled === null) return;
    this.o.runs.peerJoined(run);
    for (const j of seated) this.welcome(j.hub, j.sid, j.peerId);
    if (settled !== null) {
      const welcomed = new Set(seated.map((j) => j.peerId));
      this.announce(settled.updates.filter((u) => !welcomed.has(u.peerId)));
      this.announceGrowth(settled.grown.filter((u) => !welcomed.has(u.peerId)));
    }
    const who = seated.length <= 8 ? seated.map((j) => j.line).join(', ') : `${seated.length} peers (${seated[0].peerId} ... ${seated.at(-1)!.peerId})`;
    this.o.log(`joined: ${who}; epoch ${run.coordinator.epoch}, members ${membersText(run.coordinator.members())}`);
  }

  /**
   * Removes a live peer that other peers convicted of hostile frames (hostile-frames.ts): it is told
   * why, disconnected, and its address may not join again for hostileFrames.ejectMs. Its departure
   * starts a new epoch even where departures grow, since only resetting every R-FAST tracker clears
   * the mass it injected before.
   */
  private eject(id: PeerId): void {
    const sid = this.sockets.get(id);
    const c = sid === undefined ? undefined : this.clients.get(sid);
    if (sid === undefined || c === undefined) return;
    const now = this.o.clock();
    this.ejected.set(c.address, now + this.o.tuning.hostileFrames.ejectMs);
    // Bounded: one entry per address, and expired ones are forgotten here.
    for (const [a, until] of this.ejected) if (until <= now) this.ejected.delete(a);
    this.reject(c.hub, sid, 'telemetry', 'ejected', 'other peers refused your frames for their content: this peer was ejected from the run');
    this.depart(id, 'left', true);
    this.drop(sid, c);
    this.o.bus.deliver({ t: 'disconnect', hub: c.hub, sid });
    const why = this.run.peers.flags(id).find((f) => f.code === 'hostile-frames')?.message ?? '';
    // The evidence goes to the log too: a false ejection in CI could not be told apart otherwise.
    this.o.log(`peer ${id} ejected for hostile frames (address barred for ${this.o.tuning.hostileFrames.ejectMs} ms): ${why}`);
  }

  /** Record a client as the live peer `peerId` (its address holds a seat) and tell its hub. */
  private seat(hub: HubId, sid: SocketId, address: string, peerId: PeerId): void {
    this.clients.set(sid, { hub, role: 'peer', address, peerId });
    this.sockets.set(peerId, sid);
    this.o.gate.seatTaken(address);
    this.o.bus.deliver({ t: 'role', hub, sid, role: 'peer', peerId, runIce: this.run.config.iceServers });
  }

  /** Forget a client (it left, disconnected or timed out); its seat is freed. */
  private drop(sid: SocketId, c: Client): void {
    this.clients.delete(sid);
    if (c.role === 'observer') this.observers--;
    if (c.peerId !== undefined) {
      this.sockets.delete(c.peerId);
      this.o.gate.seatFreed(c.address);
    }
  }

  /** `welcome` (with a fresh upload token and fresh ICE credentials) and `run-state`. */
  private welcome(hub: HubId, sid: SocketId, peerId: PeerId): void {
    const { run } = this;
    const checkpointUrl = this.o.runs.checkpointUrl(run);
    this.emit(hub, sid, 'welcome', {
      ...run.welcome(peerId),
      checkpointUrl,
      fresh: checkpointUrl === null && run.totalSamples() === 0,
      ice: this.o.ice.issue(run.config.iceServers, String(peerId)),
    });
    this.emit(hub, sid, 'run-state', run.state);
  }

  /** Remove a live peer: its neighbours hear of it, or everyone moves to the next epoch (`reset`: always). */
  private depart(id: PeerId, how: 'left' | 'timed-out', reset = false): void {
    const result = this.run.depart(id, how, this.o.clock(), reset);
    if (result === null) return;
    this.sockets.delete(id);
    this.announce(result.updates);
    this.announceGrowth(result.grown);
    this.o.log(`peer ${id} ${how}, epoch ${result.epoch}, members ${membersText(this.run.coordinator.members())}`);
  }

  /**
   * A new run started: every live peer joins it (all first, so each welcome already has the final
   * neighbour lists and no epoch chatter follows) and gets a fresh `welcome`; everyone gets
   * `run-changed`, observers also `observing`, `run-state`, `peers` for the new run. A moved peer
   * keeps its seat (and its address's count); it is not a new join.
   */
  private switchRun(next: Run, previous: Run): void {
    this.joining.length = 0; // seated, so they move with the others and get the new run's welcome
    const movers = [...this.sockets.entries()].sort((a, b) => a[0] - b[0]);
    this.sockets.clear();
    this.o.bus.deliver({ t: 'all', event: 'run-changed', payload: { runId: next.runId } });
    const now = this.o.clock();
    const joined: { c: Client; sid: SocketId; peerId: PeerId }[] = [];
    for (const [oldId, sid] of movers) {
      const c = this.clients.get(sid)!;
      const identity = previous.peers.identity(oldId) ?? { backend: 'unknown' };
      const moved = previous.movedOut(oldId);
      previous.depart(oldId, 'moved', now);
      this.drop(sid, c);
      const j = next.admit(identity, now, moved);
      if (!j.ok) {
        this.refuse(c.hub, sid, j.code, `${j.message}; the new run ${next.runId} has no room`);
        continue;
      }
      this.seat(c.hub, sid, c.address, j.peerId);
      joined.push({ c, sid, peerId: j.peerId });
    }
    next.settle();
    for (const { c, sid, peerId } of joined) this.welcome(c.hub, sid, peerId);
    if (joined.length > 0) this.o.runs.peerJoined(next);
    this.startSweeping();
    this.toObservers('observing', next.observing());
    this.toObservers('run-state', next.state);
    this.toObservers('peers', next.peersPayload(now));
    this.o.log(`moved ${joined.length} peer(s) from run ${previous.runId} to run ${next.runId}`);
  }

  /** `epoch` to the peers whose lists changed; `topology` to observers. */
  private announce(updates: readonly EpochUpdate[]): void {
    for (const u of updates) {
      const sid = this.sockets.get(u.peerId);
      const c = sid === undefined ? undefined : this.clients.get(sid);
      if (c === undefined) continue;
      const { members: _, ...lists } = u.neighbours; // the change stands for the whole list
      this.emit(c.hub, sid!, 'epoch', { epoch: u.epoch, neighbours: lists, change: u.change });
    }
    this.toObservers('topology', this.run.topologyPayload());
  }

  /** `grow` to the peers whose lists changed within the epoch (announce tells the observers). */
  private announceGrowth(grown: readonly GrowUpdate[]): void {
    for (const u of grown) {
      const sid = this.sockets.get(u.peerId);
      const c = sid === undefined ? undefined : this.clients.get(sid);
      if (c === undefined) continue;
      const { members: _, ...lists } = u.neighbours;
      this.emit(c.hub, sid!, 'grow', { epoch: u.epoch, seq: u.seq, neighbours: lists, added: u.added, removed: u.removed });
    }
  }

  /** The sender's peer id; undefined for a client that is not a live peer here (hubs check roles first). */
  private peerOf(sid: SocketId): PeerId | undefined {
    return this.clients.get(sid)?.peerId;
  }

  private emit<E extends keyof ServerToClient>(hub: HubId, sid: SocketId, event: E, payload: Parameters<ServerToClient[E]>[0]): void {
    this.o.bus.deliver({ t: 'emit', hub, sid, event, payload });
  }

  private toObservers<E extends keyof ServerToClient>(event: E, payload: Parameters<ServerToClient[E]>[0]): void {
    if (this.observers > 0) this.o.bus.deliver({ t: 'observers', event, payload, periodic: false });
  }

  /** A `hello` refused: the connection may say hello again later. */
  private refuse(hub: HubId, sid: SocketId, code: RejectCode, message: string): void {
    this.o.bus.deliver({ t: 'role', hub, sid, role: null });
    this.reject(hub, sid, 'hello', code, message);
  }

  private reject(hub: HubId, sid: SocketId, event: string, code: RejectCode, message: string): void {
    countRejection(this.o.counters, code);
    this.emit(hub, sid, 'rejected', { event, code, message: message.slice(0, MAX_REJECT_MESSAGE_CHARS) });
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

export const MAX_REJECT_MESSAGE_CHARS = 1000;

/** Members for a log line: all of a small run, a count and the ends of a big one (a line per join must not grow with the run). */
function membersText(ids: readonly number[]): string {
  return ids.length <= 16 ? `[${ids.join(', ')}]` : `[${ids.slice(0, 4).join(', ')}, ... ${ids.slice(-2).join(', ')}] (${ids.length})`;
}
