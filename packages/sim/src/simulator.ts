/**
 * Deterministic discrete-event simulator: n peers, each driving a core `Algorithm` through the
 * contract loop in virtual time, over a lossy, delaying, reordering network.
 *
 * A ready peer calls beginStep, reads params() and computes its gradient at once (like a runtime
 * that copies the parameters into its ML framework), then stays busy for the compute model's step
 * time; messages keep arriving meanwhile. At the end of that time it calls applyGradient. A peer
 * that is not ready waits (blocked time is recorded) and is woken by the next arrival or epoch.
 * Same config and seed => the same result, bit for bit.
 *
 * Gradients may also be deferred (`runSimulationAsync`): the step is started the same way, but the
 * gradient is computed, possibly asynchronously, after the current event and before the next one.
 * No algorithm is called in between, so params() is unchanged and the run is the same as if the
 * gradient had been computed at once.
 */
import { algorithmDescriptor, attachJoiner, createAlgorithm, detachLeaver, evidenceAgainst, GROWABLE_KINDS, judgeSenders, neighbourTable, ROBUST_DEFAULTS, type Algorithm, type Envelope, type Message, type PeerId, type PeerNeighbours, type Topology } from '@starling/core';
import { SendScheduler, Uplink, type Clock } from '@starling/transport';
import { ComputeTimes } from './compute';
import { DeliveryPool, type DeliverEvent } from './deliveries';
import { SIM_DEFAULTS } from './config';
import { SimConfigError } from './errors';
import { EventQueue } from './events';
import { checkSchedule, modelSource, topologyFor } from './membership';
import { measure, stepTotals } from './metrics';
import { Network } from './network';
import { PeerRuntime, PeerTable, type UplinkFrame } from './peers';
import { createProblem, type AsyncProblem, type Problem, type ProblemSpec } from './problems';
import { RecordLog } from './record-log';
import { Stream, deriveSeed, streamRng } from './seeds';
import { summarisePeers } from './summary';
import type { AsyncSimConfig, Ejection, EndReason, MembershipChange, SimConfig, SimRecord, SimResult } from './types';

const DELIVER = 0;
const STEP_DONE = 1;
const MEMBERSHIP = 2;
const RECORD = 3;
const TIMER = 4;
const REFEREE = 5;

interface StepDoneEvent {
  type: typeof STEP_DONE;
  peer: PeerId;
  /** The peer's life counter when the step started; a leave in between voids the event. */
  life: number;
}
interface MembershipEvent {
  type: typeof MEMBERSHIP;
  change: MembershipChange;
}
interface RecordEvent {
  type: typeof RECORD;
}
/** A timer of a peer's uplink or send scheduler (virtual time). */
interface TimerEvent {
  type: typeof TIMER;
  fn: () => void;
}
/** The referee's periodic verdict (like a record, it keeps no run alive). */
interface RefereeEvent {
  type: typeof REFEREE;
}
type SimEvent = DeliverEvent | StepDoneEvent | MembershipEvent | RecordEvent | TimerEvent | RefereeEvent;

const RECORD_EVENT: RecordEvent = { type: RECORD };
const REFEREE_EVENT: RefereeEvent = { type: REFEREE };

/** Runs one simulation to its stop condition. */
export function runSimulation(config: SimConfig): SimResult {
  const sim = new Simulation(config, false);
  sim.start();
  let end: EndReason | null = null;
  while (end === null) end = sim.next();
  return sim.finish(end);
}

function isProblem(p: ProblemSpec | Problem | AsyncProblem): p is AsyncProblem {
  return typeof (p as AsyncProblem).gradient === 'function';
}

/** The engine; driven by `runSimulation` (gradients at once) or `runSimulationAsync` (deferred). */
export class Simulation {
  private readonly queue = new EventQueue<SimEvent>();
  /** Pending events other than records; 0 means nothing can ever change again. */
  private pending = 0;
  private now = 0;
  private epoch = 0;
  private events = 0;
  private readonly peers: (PeerRuntime | undefined)[];
  private readonly table: PeerTable;
  /** Live peers, ascending id. */
  private live: PeerRuntime[] = [];
  /** Every live peer's lists (the coordinator's table; grown joins update it in place). */
  private lists = new Map<PeerId, PeerNeighbours>();
  private readonly problem: AsyncProblem;
  /** Deferred mode: peers whose step started during the current event, waiting for their gradient. */
  private readonly deferred: PeerRuntime[] | null;
  /** The record taken by the last record event, until `takeRecord` hands it out. */
  private fresh: SimRecord | null = null;
  private readonly net: Network;
  private readonly compute: ComputeTimes;
  private readonly log: RecordLog;
  private readonly perPeer: boolean;
  private readonly stopTime: number;
  private readonly budget: number;
  private readonly idSpace: number;
  private readonly schedule: MembershipChange[];
  private readonly times: number[] = [0, 0];
  private readonly deliveries = new DeliveryPool();
  private readonly xbar: Float64Array;
  private readonly ejections: Ejection[] = [];

  constructor(
    private readonly config: SimConfig | AsyncSimConfig,
    deferGradients: boolean,
  ) {
    this.deferred = deferGradients ? [] : null;
    const { n, stop } = config;
    if (!Number.isInteger(n) || n < 1) throw new SimConfigError(`n must be a positive integer, got ${n}`);
    if (stop.time === undefined && stop.stepsPerPeer === undefined) {
      throw new SimConfigError('stop needs a virtual time (stop.time) or a step budget (stop.stepsPerPeer)');
    }
    if (stop.time !== undefined && !(stop.time >= 0)) throw new SimConfigError(`stop.time must be >= 0, got ${stop.time}`);
    if (stop.stepsPerPeer !== undefined && !(Number.isInteger(stop.stepsPerPeer) && stop.stepsPerPeer > 0)) {
      throw new SimConfigError(`stop.stepsPerPeer must be a positive integer, got ${stop.stepsPerPeer}`);
    }
    this.stopTime = stop.time ?? SIM_DEFAULTS.maxVirtualTime;
    this.budget = stop.stepsPerPeer ?? Infinity;
    const { schedule, idSpace } = checkSchedule(n, config.membership ?? []);
    this.schedule = schedule;
    this.idSpace = idSpace;
    this.peers = new Array<PeerRuntime | undefined>(idSpace).fill(undefined);
    this.table = new PeerTable(idSpace);
    this.problem = isProblem(config.problem) ? config.problem : createProblem(config.problem, idSpace, config.seed);
    if (this.problem.peers < idSpace) {
      throw new SimConfigError(`problem has shards for ${this.problem.peers} peers but the run uses ids up to ${idSpace - 1}`);
    }
    this.xbar = new Float64Array(this.problem.dim);
    this.net = new Network(config.network ?? {}, streamRng(config.seed, Stream.network));
    this.compute = new ComputeTimes(config.compute ?? {}, config.seed);
    const rec = config.record ?? {};
    this.log = new RecordLog(rec.interval ?? SIM_DEFAULTS.recordInterval, rec.maxRecords ?? SIM_DEFAULTS.maxRecords);
    this.perPeer = rec.perPeer ?? true;
    const ref = config.referee;
    if (ref !== undefined && !(ref.interval > 0 && Number.isFinite(ref.interval))) throw new SimConfigError(`referee.interval must be a positive number of seconds, got ${ref.interval}`);
    const stall = config.stallAfter;
    if (stall !== undefined && !(stall > 0 && Number.isFinite(stall))) throw new SimConfigError(`stallAfter must be a positive number of seconds, got ${stall}`);
  }

  /** Spawns the initial peers, takes the first record and starts every peer's first step. */
  start(): void {
    const members = Array.from({ length: this.config.n }, (_, i) => i);
    const lists = neighbourTable(topologyFor(this.config.topology, members));
    this.lists = lists;
    for (const id of members) this.spawn(id, lists.get(id)!);
    this.live = members.map((id) => this.peers[id] as PeerRuntime);
    for (const c of this.schedule) this.schedule1(c.time, { type: MEMBERSHIP, change: c });
    this.fresh = this.snapshot();
    this.log.push(this.fresh);
    this.queue.push(this.log.interval, RECORD_EVENT);
    if (this.config.referee !== undefined) this.queue.push(this.config.referee.interval, REFEREE_EVENT);
    for (const p of this.live) this.tryStart(p);
  }

  /** Processes one event; returns why the run ends, or null to go on. */
  next(): EndReason | null {
    if (this.pending === 0) return this.allDone() ? 'steps' : 'idle';
    const t = this.queue.peekTime();
    if (t > this.stopTime) {
      this.now = this.stopTime;
      return 'time';
    }
    const ev = this.queue.pop() as SimEvent;
    this.now = t;
    this.events++;
    switch (ev.type) {
      case DELIVER:
        this.pending--;
        this.deliver(ev);
        break;
      case STEP_DONE:
        this.pending--;
        if (this.stepDone(ev) && this.allDone()) return 'steps';
        break;
      case MEMBERSHIP:
        this.pending--;
        this.changeMembership(ev.change);
        if (this.allDone()) return 'steps';
        break;
      case RECORD:
        this.fresh = this.snapshot();
        this.log.push(this.fresh);
        this.queue.push(t + this.log.interval, RECORD_EVENT);
        break;
      case TIMER:
        this.pending--;
        ev.fn();
        break;
      case REFEREE:
        this.judge();
        this.queue.push(t + this.config.referee!.interval, REFEREE_EVENT);
        if (this.allDone()) return 'steps';
        break;
    }
    return null;
  }

  /** Ends the run at the current time: closes open waits, takes the final record, builds the result. */
  finish(endReason: EndReason): SimResult {
    for (const p of this.live) p.unblock(this.now);
    this.fresh = this.snapshot();
    return this.result(endReason, this.fresh);
  }

  /** The record taken since the last call (start, a record event or finish), else null. */
  takeRecord(): SimRecord | null {
    const r = this.fresh;
    this.fresh = null;
    return r;
  }

  /** Live peer ids, ascending. */
  liveIds(): PeerId[] {
    return this.live.map((p) => p.id);
  }

  /** Peer `id`'s current model (a view; valid until the next event). */
  modelOf(id: PeerId): Float32Array {
    const p = this.peers[id];
    if (p === undefined || !p.alive) throw new SimConfigError(`peer ${id} is not alive at t=${this.now}`);
    return p.algo.model();
  }

  /**
   * Deferred mode: computes, in start order, the gradients of the steps started by the last event.
   * Call between events; no algorithm runs meanwhile, so params() is what the step started with.
   */
  async computeDeferred(): Promise<void> {
    const list = this.deferred;
    if (list === null) throw new SimConfigError('computeDeferred needs a simulation with deferred gradients');
    for (let k = 0; k < list.length; k++) {
      const p = list[k];
      await this.problem.gradient(p.id, p.algo.params(), p.grad, p.rng);
    }
    list.length = 0;
  }

  private schedule1(time: number, ev: SimEvent): void {
    this.pending++;
    this.queue.push(time, ev);
  }

  private spawn(id: PeerId, nb: PeerNeighbours): Algorithm {
    const s = this.config.settings;
    const existing = this.peers[id];
    const create = this.config.createAlgorithm ?? createAlgorithm;
    const algo = create(this.config.algorithm, {
      ...s,
      id,
      x0: this.problem.x0,
      blockSize: s.blockSize ?? this.problem.dim,
      epoch: this.epoch,
      neighbours: nb,
      seed: deriveSeed(this.config.seed, Stream.algorithm, id + this.table.life[id] * this.idSpace),
    });
    if (algo.dim !== this.problem.dim) {
      throw new SimConfigError(`algorithm dim ${algo.dim} does not match problem dim ${this.problem.dim}`);
    }
    let p: PeerRuntime;
    if (existing) {
      existing.rejoin(algo, this.now);
      existing.finished = existing.steps >= this.budget;
      p = existing;
    } else {
      const rng = streamRng(this.config.seed, Stream.minibatch, id);
      p = this.peers[id] = new PeerRuntime(id, this.table, algo, new Float32Array(this.problem.dim), rng, this.now);
    }
    this.attachLinks(p);
    return algo;
  }

  /**
   * The peer's send path: its shaped uplink (network.uplink) and, for an algorithm with slots, the
   * same newest-wins scheduler the peer runtime uses, fed when a link can take a frame.
   */
  private attachLinks(p: PeerRuntime): void {
    const shape = this.config.network?.uplink;
    p.uplink = null;
    if (shape !== undefined && (shape.bytesPerSec !== null || shape.latencyMs > 0)) {
      p.uplink = new Uplink<UplinkFrame>({
        shape: { uplinkBytesPerSec: shape.bytesPerSec, latencyMs: shape.latencyMs },
        burstBytes: SIM_DEFAULTS.uplinkBurstBytes,
        clock: this.clock,
        size: (f) => f.ev.bytes,
        deliver: (to, f) => this.transmit(p.id, to, f.ev, f.reliable),
        drained: () => this.pumpSlots(p),
      });
    }
    p.draining.clear();
    p.scheduler = p.algo.slots === undefined ? null : new SendScheduler({
      ready: (to) => this.linkTakesSlot(p, to),
      send: (env) => this.sendEnvelopes(p, [env]),
    });
  }

  /** Virtual time for the uplinks, in milliseconds. */
  private readonly clock: Clock = {
    now: () => this.now * 1000,
    at: (ms, fn) => this.schedule1(Math.max(this.now, ms / 1000), { type: TIMER, fn }),
  };

  private linkTakesSlot(p: PeerRuntime, to: PeerId): boolean {
    if (p.uplink !== null) return p.uplink.queued(to) === 0;
    return this.net.backlog(p.id, to, this.now) <= SIM_DEFAULTS.slotLowWaterBytes;
  }

  /** An algorithm with slots: let its links take what they can now. */
  private pumpSlots(p: PeerRuntime): void {
    const slots = p.algo.slots;
    if (p.scheduler === null || slots === undefined || !p.alive) return;
    p.scheduler.pump(slots);
  }

  /** An unshaped link is too full for another slot frame: come back when it has drained. */
  private watchDrain(p: PeerRuntime, to: PeerId): void {
    if (p.draining.has(to)) return;
    p.draining.add(to);
    const life = p.life;
    const at = this.net.backlogFallsTo(p.id, to, SIM_DEFAULTS.slotLowWaterBytes, this.now);
    this.schedule1(at, {
      type: TIMER,
      fn: () => {
        p.draining.delete(to);
        if (p.life === life) this.pumpSlots(p);
      },
    });
  }

  private tryStart(p: PeerRuntime): void {
    if (!p.alive || p.computing || p.finished) return;
    if (!p.algo.ready()) {
      if (Number.isNaN(p.blockedSince)) this.watchStall(p);
      p.block(this.now);
      return;
    }
    p.unblock(this.now);
    this.send(p, p.algo.beginStep());
    if (this.deferred !== null) {
      this.deferred.push(p);
    } else {
      const pending = this.problem.gradient(p.id, p.algo.params(), p.grad, p.rng);
      if (pending !== undefined) {
        pending.catch(() => undefined); // refused below; its outcome no longer matters
        throw new SimConfigError('problem.gradient returned a Promise: run asynchronous problems with runSimulationAsync');
      }
    }
    p.computing = true;
    const ev: StepDoneEvent = { type: STEP_DONE, peer: p.id, life: p.life };
    this.schedule1(this.now + this.compute.next(p.id), ev);
  }

  /** With stallAfter: calls the algorithm's stalled() if the wait that starts now is still unbroken then. */
  private watchStall(p: PeerRuntime): void {
    const after = this.config.stallAfter;
    if (after === undefined || p.algo.stalled === undefined) return;
    const life = p.life;
    const since = this.now;
    this.schedule1(this.now + after, {
      type: TIMER,
      fn: () => {
        if (p.life !== life || p.blockedSince !== since || p.algo.ready()) return;
        this.send(p, p.algo.stalled!());
        this.tryStart(p);
      },
    });
  }

  /** Returns true when this step used up the peer's step budget. */
  private stepDone(ev: StepDoneEvent): boolean {
    const p = this.peers[ev.peer] as PeerRuntime;
    if (p.life !== ev.life) return false; // the peer left (and maybe rejoined) meanwhile
    p.computing = false;
    this.send(p, p.algo.applyGradient(p.grad));
    p.steps++;
    if (p.steps >= this.budget) {
      p.finished = true;
      return true;
    }
    this.tryStart(p);
    return false;
  }

  private allDone(): boolean {
    if (this.budget === Infinity) return false;
    for (const p of this.live) if (!p.finished) return false;
    return true;
  }

  private deliver(ev: DeliverEvent): void {
    const t = this.table;
    // Dropped if either end left since the send: its life counter moved on.
    if (t.life[ev.to] !== ev.toLife || t.life[ev.sender] !== ev.fromLife) {
      t.discarded[ev.sender]++;
    } else {
      t.delivered[ev.to]++;
      t.bytesDelivered[ev.to] += ev.bytes;
      const to = this.peers[ev.to] as PeerRuntime;
      const reply = to.algo.receive(ev);
      if (reply.length > 0) this.send(to, reply);
      this.tryStart(to);
    }
    // The receiver owned the message only for the call above (contract): recycle it.
    this.deliveries.give(ev);
  }

  /** Sends what an algorithm call returned, then lets an algorithm with slots send what its links can take. */
  private send(from: PeerRuntime, envs: readonly Envelope[]): void {
    this.sendEnvelopes(from, envs);
    if (from.scheduler !== null) this.pumpSlots(from);
  }

  private sendEnvelopes(from: PeerRuntime, envs: readonly Envelope[]): void {
    const t = this.table;
    const id = from.id;
    for (let e = 0; e < envs.length; e++) {
      const env = envs[e];
      const bytes = this.net.messageBytes(env.msg.data.byteLength);
      t.sent[id]++;
      if (env.reliable) t.reliableSent[id]++;
      t.bytesSent[id] += bytes;
      const to = Number.isSafeInteger(env.to) ? this.peers[env.to] : undefined;
      if (to === undefined || !t.isAlive(to.id)) {
        t.discarded[id]++;
        continue;
      }
      const uplink = from.uplink;
      if (uplink !== null) {
        // Unreliable sends are skipped while the link's share of the uplink queue is over the send buffer.
        if (!env.reliable && uplink.queued(to.id) > this.net.sendBufferOf(id, to.id)) {
          t.skipped[id]++;
          t.bytesSent[id] -= bytes;
          continue;
        }
        // The payload may be a view into the algorithm's state: copy it now, send it when the uplink lets it go.
        uplink.enqueue(to.id, { ev: this.deliveries.take(id, t.life[id], to.id, t.life[to.id], bytes, env.msg), reliable: env.reliable });
        continue;
      }
      this.transmit(id, to.id, null, env.reliable, env.msg, bytes);
      if (from.scheduler !== null && !env.reliable && this.net.backlog(id, to.id, this.now) > SIM_DEFAULTS.slotLowWaterBytes) this.watchDrain(from, to.id);
    }
  }

  /**
   * Puts one message on the link from -> to: the network model decides loss, duplication and
   * delivery times. `ev` is a delivery event that already holds a copy (from the uplink), else `msg`
   * is copied now.
   */
  private transmit(from: PeerId, to: PeerId, ev: DeliverEvent | null, reliable: boolean, msg: Message | null = null, size = 0): void {
    const t = this.table;
    const bytes = ev !== null ? ev.bytes : size;
    const out = this.net.send(from, to, bytes, reliable, this.now, this.times);
    t.retransmits[from] += out.retransmits;
    if (out.deliveries === 0) {
      if (out.skipped) {
        t.skipped[from]++;
        t.bytesSent[from] -= bytes; // never left the peer
      } else {
        t.dropped[from]++;
      }
      if (ev !== null) this.deliveries.give(ev);
      return;
    }
    const src = (ev ?? msg) as Message;
    for (let k = 0; k < out.deliveries; k++) {
      const d = k === 0 && ev !== null ? ev : this.deliveries.take(from, t.life[from], to, t.life[to], bytes, src);
      this.schedule1(this.times[k], d);
    }
  }

  /** Plays the server's verdict on hostile frames: judges the live peers' evidence and ejects whom it convicts. */
  private judge(): void {
    const reports = this.live.map((p) => ({ reporter: p.id, evidence: evidenceAgainst(p.algo.senderEvidence?.() ?? new Map()), steps: p.steps }));
    const out = judgeSenders(reports, this.config.referee!.tuning ?? ROBUST_DEFAULTS.verdict).filter((v) => v.eject && this.peers[v.sender]?.alive === true);
    if (out.length === 0) return;
    for (const v of out) this.ejections.push({ time: this.now, peer: v.sender, reporters: v.reporters, grounds: v.grounds });
    // A new epoch even where departures grow: only a reset clears the mass the ejected injected.
    this.changeMembership({ time: this.now, leave: out.map((v) => v.sender) }, true);
  }

  /** Do joins grow the topology within the epoch (SimConfig.joins)? */
  private joinsGrow(): boolean {
    const t = this.config.topology;
    const fallback = algorithmDescriptor(this.config.algorithm).joins === 'grow' && t.kind !== 'custom' && GROWABLE_KINDS.includes(t.kind);
    return (this.config.joins ?? (fallback ? 'grow' : 'epoch')) === 'grow';
  }

  /**
   * Plays coordinator: applies leaves and joins, builds the next epoch's topology, announces it;
   * or, where changes grow (joinsGrow) and no `reset` is asked, links each leaver's neighbours to
   * each other and attaches the joiners within the epoch, telling only the peers a change
   * touches, as the server does.
   */
  private changeMembership(c: MembershipChange, reset = false): void {
    // A scheduled leaver the referee ejected earlier is already gone.
    const leavers = (c.leave ?? []).filter((id) => this.peers[id]?.alive === true);
    for (const id of leavers) (this.peers[id] as PeerRuntime).leave(this.now);
    const established = new Set<PeerId>();
    for (const p of this.live) if (p.alive) established.add(p.id);
    const joiners = c.join ?? [];
    const members = [...established, ...joiners].sort((a, b) => a - b);
    if (!reset && c.reset !== true && established.size > 0 && this.joinsGrow()) {
      this.detachFrom(leavers, members, established);
      return this.growInto(joiners, members, established);
    }
    const lists = neighbourTable(topologyFor(this.config.topology, members));
    this.lists = lists;
    this.epoch++;
    for (const id of joiners) {
      const nb = lists.get(id)!;
      const algo = this.spawn(id, nb);
      const src = modelSource(nb, established);
      if (src !== undefined) algo.loadModel((this.peers[src] as PeerRuntime).algo.model().slice());
    }
    this.live = members.map((id) => this.peers[id] as PeerRuntime);
    for (const p of this.live) {
      if (established.has(p.id)) this.send(p, p.algo.setEpoch(this.epoch, lists.get(p.id)!));
    }
    for (const p of this.live) this.tryStart(p);
  }

  /** Each leaver's neighbours are linked to each other and unwind their links to it (RFast.grow with departed). */
  private detachFrom(leavers: readonly PeerId[], members: PeerId[], established: ReadonlySet<PeerId>): void {
    for (const id of leavers) {
      for (const p of detachLeaver(this.lists, id, members).keys()) {
        if (!established.has(p)) continue;
        const peer = this.peers[p] as PeerRuntime;
        this.send(peer, this.growOf(p).call(peer.algo, this.lists.get(p)!, [id]));
      }
    }
  }

  /** The algorithm's grow, for a run whose joins grow (SimConfig.joins). */
  private growOf(id: PeerId): NonNullable<Algorithm['grow']> {
    const grow = (this.peers[id] as PeerRuntime).algo.grow;
    if (grow === undefined) throw new SimConfigError(`joins: 'grow' needs an algorithm with grow; ${this.config.algorithm} has none`);
    return grow;
  }

  private growInto(joiners: readonly PeerId[], members: PeerId[], established: ReadonlySet<PeerId>): void {
    const touched = new Set<PeerId>();
    for (const id of joiners) for (const p of attachJoiner(this.lists, id, members)) if (established.has(p)) touched.add(p);
    for (const id of joiners) {
      const nb = this.lists.get(id)!;
      const algo = this.spawn(id, nb);
      const src = modelSource(nb, established);
      if (src !== undefined) algo.loadModel((this.peers[src] as PeerRuntime).algo.model().slice());
    }
    this.live = members.map((id) => this.peers[id] as PeerRuntime);
    for (const id of touched) {
      const p = this.peers[id] as PeerRuntime;
      this.send(p, this.growOf(id).call(p.algo, this.lists.get(id)!));
    }
    for (const p of this.live) this.tryStart(p);
  }

  private snapshot(): SimRecord {
    const members = this.live.map((p) => p.id);
    const obj = this.problem.objective(members);
    const all = this.peers.filter((p): p is PeerRuntime => p !== undefined);
    return measure(this.now, this.epoch, all, this.live, this.table, obj, this.perPeer, this.xbar);
  }

  private result(endReason: EndReason, final: SimRecord): SimResult {
    const obj = this.problem.objective(this.live.map((p) => p.id));
    const all = this.peers.filter((p): p is PeerRuntime => p !== undefined);
    const peers = summarisePeers(all, this.live, this.table, obj);
    return {
      algorithm: this.config.algorithm,
      seed: this.config.seed,
      endTime: this.now,
      endReason,
      epoch: this.epoch,
      events: this.events,
      records: this.log.records,
      final,
      peers,
      totals: { ...this.table.totals(), ...stepTotals(all, this.now) },
      optimum: obj.optimum,
      optimalValue: obj.optimalValue,
      ejections: this.ejections.slice(),
    };
  }
}
