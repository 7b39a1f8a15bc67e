import type { PeerId } from '@starling/core';
import { REJECT_CODES, type RejectCode, type RunConfig, type RunStatePayload, type RunStateUpdate } from '@starling/protocol';
import { SERVER_TUNING } from './config';
import { Coordinator } from './coordinator';
import { PeerTable } from './peer-table';

/** Everything the server counts; exposed at GET /api/run. */
export interface ServerCounters {
  connections: number;
  disconnections: number;
  peersJoined: number;
  observersJoined: number;
  /** Peers that left by `leave` or by disconnecting. */
  leaves: number;
  /** Peers dropped for silence (no event for peerTimeoutMs). */
  timeouts: number;
  signalsRelayed: number;
  telemetryReports: number;
  /** Client events refused, in total and by reason. */
  rejected: number;
  rejectedByCode: Record<RejectCode, number>;
  /** Exceptions caught inside a handler (a bug, never a client's fault); the server kept running. */
  internalErrors: number;
}

export function createCounters(): ServerCounters {
  const byCode = {} as Record<RejectCode, number>;
  for (const c of REJECT_CODES) byCode[c] = 0;
  return {
    connections: 0,
    disconnections: 0,
    peersJoined: 0,
    observersJoined: 0,
    leaves: 0,
    timeouts: 0,
    signalsRelayed: 0,
    telemetryReports: 0,
    rejected: 0,
    rejectedByCode: byCode,
    internalErrors: 0,
  };
}

/** Body of GET /api/run. */
export interface RunSnapshot {
  runId: string;
  config: RunConfig;
  epoch: number;
  members: PeerId[];
  state: RunStatePayload;
  counters: ServerCounters;
}

/** The state of the one run this server hosts. */
export class Run {
  readonly coordinator: Coordinator;
  readonly peers = new PeerTable({ history: SERVER_TUNING.telemetryHistory, departedKept: SERVER_TUNING.departedKept });
  readonly counters = createCounters();
  private runState: RunStatePayload;

  constructor(
    readonly runId: string,
    readonly config: RunConfig,
  ) {
    this.coordinator = new Coordinator(config);
    this.runState = { paused: false, lossRate: config.lossRate };
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

  snapshot(): RunSnapshot {
    return {
      runId: this.runId,
      config: this.config,
      epoch: this.coordinator.epoch,
      members: this.coordinator.members(),
      state: this.state,
      counters: structuredClone(this.counters),
    };
  }
}

/** A run id from the start time when the config gives none: sortable and safe in file names. */
export function makeRunId(now: Date): string {
  return `run-${now.toISOString().replace(/[:.]/g, '-')}`;
}
