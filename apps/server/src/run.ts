import type { PeerId } from '@starling/core';
import {
  pathTo,
  samplesPerStep,
  type ObservingPayload,
  type PeersPayload,
  type TopologyPayload,
  type WelcomePayload,
  type RunConfig,
  type RunInfo,
  type RunStatePayload,
  type RunStatus,
  type RunStateUpdate,
  type TaskInfo,
  type TelemetryPayload,
  type TopologyEdges,
} from '@starling/protocol';
import { newSecret } from './admin';
import { Coordinator, type AdmitOutcome, type LeaveResult, type SettleResult } from './coordinator';
import { flattenCounters, type ServerCounters } from './counters';
import type { DatasetService } from './datasets';
import { PeerTable } from './peer-table';
import { SampleLedger, type MovedPeer } from './sample-ledger';
import type { Plausibility } from './telemetry-guard';
import type { ServerTuning } from './tuning';

/** What a peer said about itself in `hello` (the backend is updated by its telemetry). */
export interface PeerIdentity {
  backend: string;
  device?: string;
}

export type AdmitResult = AdmitOutcome;

/** Who must hear of a departure: every live peer (a new epoch), or the leaver's neighbours (grown). */
export type DepartResult = LeaveResult;

export interface RunOptions {
  runId: string;
  config: RunConfig;
  startedAt: number;
  /** Shared by every run of the process. */
  counters: ServerCounters;
  data: DatasetService;
  tuning: ServerTuning;
  /** A resumed run continues after the peer ids and samples it had before the restart. */
  firstPeerId?: PeerId;
  samplesBefore?: number;
}

/** The state of one run while this process hosts it: membership, peers, switches, secrets. */
export class Run {
  readonly runId: string;
  readonly config: RunConfig;
  readonly startedAt: number;
  readonly counters: ServerCounters;
  /** The run's task data split (shards depend on the run config). */
  readonly data: DatasetService;
  readonly coordinator: Coordinator;
  readonly peers: PeerTable;
  status: RunStatus = 'running';
  private runState: RunStatePayload;
  private readonly uploadTokens = new Map<PeerId, string>();
  private readonly lastUpload = new Map<PeerId, number>();
  private readonly ledger: SampleLedger;

  constructor(o: RunOptions) {
    this.runId = o.runId;
    this.config = o.config;
    this.startedAt = o.startedAt;
    this.counters = o.counters;
    this.data = o.data;
    this.coordinator = new Coordinator(o.config, o.firstPeerId ?? 0);
    this.ledger = new SampleLedger(o.tuning, samplesPerStep(o.config), o.samplesBefore ?? 0);
    this.peers = new PeerTable({ history: o.tuning.telemetryHistory, departedKept: o.tuning.departedKept });
    this.runState = { paused: false, lossRate: o.config.lossRate };
  }

  /** What the run trains (resolved from `config.task` when the run was created). */
  get task(): TaskInfo {
    return this.data.info;
  }

  get state(): RunStatePayload {
    return { ...this.runState };
  }

  /** Apply a validated update; returns the new state. */
  updateState(u: RunStateUpdate): RunStatePayload {
    if (u.paused !== undefined) this.runState.paused = u.paused;
    if (u.lossRate !== undefined) this.runState.lossRate = u.lossRate;
    return this.state;
  }

  /** A fresh upload token for a peer that just joined. */
  private issueUploadToken(id: PeerId): string {
    const token = newSecret(24);
    this.uploadTokens.set(id, token);
    return token;
  }

  /** The token of a live peer; undefined once it left. */
  uploadToken(id: PeerId): string | undefined {
    return this.coordinator.has(id) ? this.uploadTokens.get(id) : undefined;
  }

  /** Forget a departed peer's secrets and counters (its samples stay counted). */
  private forgetPeer(id: PeerId): void {
    this.ledger.forget(id);
    this.uploadTokens.delete(id);
    this.lastUpload.delete(id);
  }

  /** Time of the peer's last accepted upload (for the rate limit). */
  lastUploadAt(id: PeerId): number | undefined {
    return this.lastUpload.get(id);
  }

  /** Sets (or, with undefined, clears) the time of the peer's last accepted upload. */
  noteUpload(id: PeerId, at: number | undefined): void {
    if (at === undefined) this.lastUpload.delete(id);
    else this.lastUpload.set(id, at);
  }

  /**
   * Membership: a peer joins (by `hello`, or `moved` in from the previous run): a fresh id, the
   * least-used shard, a row in the peer table and a place in the sample ledger. Its epoch starts
   * at `settle()`, shared with every admission since the last.
   */
  admit(identity: PeerIdentity, now: number, moved?: MovedPeer): AdmitResult {
    const j = this.coordinator.admit();
    if (!j.ok) return j;
    this.peers.add(j.peerId, { ...identity, shard: j.shard }, now);
    this.ledger.admit(j.peerId, this.startedAt, moved === undefined ? undefined : { at: now, from: moved });
    if (moved === undefined) this.counters.peersJoined++;
    return j;
  }

  /**
   * Places the peers admitted since the last settle (null if none): a new epoch with every live
   * peer's lists, or, where joins grow, the lists of the peers they were attached to.
   */
  settle(): SettleResult | null {
    return this.coordinator.settle();
  }

  /**
   * A live peer leaves (left, disconnected, timed out, or moved to the next run): null if it was
   * not live. `reset`: it was ejected, so every tracker restarts in a new epoch (Coordinator.leave).
   */
  depart(id: PeerId, how: 'left' | 'timed-out' | 'moved', now: number, reset = false): DepartResult | null {
    const r = this.coordinator.leave(id, reset);
    if (r === null) return null;
    this.forgetPeer(id);
    this.peers.markGone(id, how === 'timed-out' ? 'timed-out' : 'left', now);
    if (how === 'left') this.counters.leaves++;
    else if (how === 'timed-out') this.counters.timeouts++;
    return r;
  }

  /** What a peer needs to train in this run, minus what the host adds (checkpoint, ICE servers). */
  welcome(peerId: PeerId): Omit<WelcomePayload, 'checkpointUrl' | 'ice' | 'fresh'> {
    const shard = this.coordinator.shardOf(peerId)!;
    return {
      peerId,
      runId: this.runId,
      config: this.config,
      epoch: this.coordinator.epoch,
      neighbours: this.coordinator.neighboursOf(peerId)!,
      shard: { index: shard, count: this.config.shards.count, url: pathTo('shard', { index: shard }) },
      testUrl: pathTo('testSet'),
      task: this.task,
      uploadToken: this.issueUploadToken(peerId),
    };
  }

  /** What an observer gets on joining. */
  observing(): ObservingPayload {
    return { runId: this.runId, config: this.config, task: this.task, epoch: this.coordinator.epoch, members: this.coordinator.members(), topology: this.topology() };
  }

  /** The dashboard's peer table. */
  peersPayload(now: number): PeersPayload {
    return { at: now, epoch: this.coordinator.epoch, peers: this.peers.summaries() };
  }

  /** The topology message observers get after every membership change. */
  topologyPayload(): TopologyPayload {
    return { epoch: this.coordinator.epoch, members: this.coordinator.members(), topology: this.topology() };
  }

  /** What the next run needs to take this peer over (its counters' history). */
  movedOut(id: PeerId): MovedPeer | undefined {
    return this.ledger.movedOut(id);
  }

  /**
   * A live peer's report: stored and counted when plausible (`telemetry-guard.ts`); otherwise
   * nothing of it is kept and the peer is flagged with the reason.
   */
  recordTelemetry(id: PeerId, t: TelemetryPayload, now: number): Plausibility {
    if (!this.coordinator.has(id)) return { ok: false, reason: `peer ${id} is not live in run ${this.runId}` };
    const v = this.ledger.record(id, t, now);
    if (!v.ok) {
      this.peers.flag(id, 'implausible-telemetry', v.reason, now);
      return v;
    }
    this.peers.record(id, t, now);
    return v;
  }

  /** Training samples over every peer of the run, including those before a restart. */
  totalSamples(): number {
    return this.ledger.total();
  }

  topology(): TopologyEdges {
    const rOut: Record<string, PeerId[]> = {};
    const cOut: Record<string, PeerId[]> = {};
    for (const id of this.coordinator.members()) {
      const n = this.coordinator.neighboursOf(id);
      if (n === undefined) continue;
      rOut[id] = [...n.rOut];
      cOut[id] = [...n.cOut];
    }
    return { rOut, cOut };
  }

  /** Body of GET /api/run. */
  info(): RunInfo {
    return {
      runId: this.runId,
      config: this.config,
      task: this.task,
      status: this.status,
      startedAt: this.startedAt,
      epoch: this.coordinator.epoch,
      members: this.coordinator.members(),
      topology: this.topology(),
      paused: this.runState.paused,
      lossRate: this.runState.lossRate,
      counters: flattenCounters(this.counters),
    };
  }
}

/** A run id from the start time when the config gives none: sortable and safe in file names. */
export function makeRunId(now: Date): string {
  return `run-${now.toISOString().replace(/[:.]/g, '-')}`;
}
