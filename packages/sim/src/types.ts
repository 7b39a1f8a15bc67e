/** Configuration and result types of `runSimulation`. Results are plain data: numbers, strings and typed arrays. */
import type {
  AlgoStats,
  VerdictGround,
  VerdictTuning,
  Algorithm,
  AlgorithmName,
  AlgorithmOptionName,
  AlgorithmOptions,
  PeerId,
  Topology,
  TopologyKind,
  TopologyOptions,
} from '@starling/core';
import type { ComputeModel } from './compute';
import type { NetworkConfig } from './network';
import type { TrafficCounters } from './peers';
import type { AsyncProblem, Problem, ProblemSpec } from './problems';

export type TopologySpec =
  | { kind: TopologyKind; options?: TopologyOptions }
  /** Any graph pair; rebuilt over the live members at every membership change, then validated. */
  | { kind: 'custom'; build: (members: readonly PeerId[]) => Topology };

/** One membership change at a virtual time: the simulator plays coordinator and starts a new epoch. */
export interface MembershipChange {
  time: number;
  /** Peers that leave (their in-flight messages, both ways, are discarded). */
  leave?: PeerId[];
  /** Peers that join: ids not alive at that time (new ids, or ids that left earlier). */
  join?: PeerId[];
  /**
   * A new epoch over the named topology for this change even where changes grow (SimConfig.joins),
   * as the server does when it ejects a peer; e.g. to start a bench's run on a smaller member set.
   */
  reset?: boolean;
}

/**
 * Algorithm settings beyond the ones the simulator fills in (id, x0, epoch, neighbours, seed): the
 * step size, the block size, and any algorithm's own options (tau, localSteps, fanout, fanoutC,
 * encoding, kernels; see core's AlgorithmOptions).
 */
export interface AlgorithmSettings extends Partial<Pick<AlgorithmOptions, AlgorithmOptionName>> {
  lr: number;
  /** Coordinates per message block; default: the whole vector in one block. */
  blockSize?: number;
}

export interface StopCondition {
  /** Stop at this virtual time (seconds). */
  time?: number;
  /** Each peer stops stepping after this many steps; the run ends when every live peer is done. */
  stepsPerPeer?: number;
}

export interface RecordOptions {
  /** Virtual seconds between records (default SIM_DEFAULTS.recordInterval). */
  interval?: number;
  /** Bound on kept records; when reached, every other record is dropped and the interval doubles. */
  maxRecords?: number;
  /**
   * Also record per-peer series at each record (default true). Costs one objective evaluation per
   * peer per record: turn it off for large runs on the logistic problem.
   */
  perPeer?: boolean;
}

export interface SimConfig {
  /** Initial peers: ids 0..n-1. */
  n: number;
  algorithm: AlgorithmName;
  settings: AlgorithmSettings;
  topology: TopologySpec;
  /** A built-in problem spec, or a ready Problem with shards for every peer id that ever exists. */
  problem: ProblemSpec | Problem;
  network?: NetworkConfig;
  compute?: Partial<ComputeModel>;
  membership?: MembershipChange[];
  /**
   * How a membership change reaches the peers: 'grow' attaches each joiner to a few live peers
   * and links each leaver's neighbours to each other, within the epoch (core's attachJoiner and
   * detachLeaver; only they hear of it, nobody resets; a peer the referee ejects still starts a
   * new epoch), 'epoch' starts a new epoch over the named topology. Default: as the platform's
   * server does, 'grow' for an algorithm whose descriptor says so (R-FAST) on a growable topology
   * kind, else 'epoch'.
   */
  joins?: 'grow' | 'epoch';
  stop: StopCondition;
  record?: RecordOptions;
  seed: number;
  /**
   * Builds each peer's algorithm; default: core's createAlgorithm. Lets tests and experiments run
   * an algorithm of their own through the same engine.
   */
  createAlgorithm?: (name: AlgorithmName, opts: AlgorithmOptions) => Algorithm;
  /**
   * Plays the server's hostile-peer verdict: every `interval` virtual seconds the live peers'
   * per-sender evidence is judged by core's judgeSenders (with `tuning`, default
   * ROBUST_DEFAULTS.verdict) and the peers it convicts are ejected: they leave and a new epoch
   * starts, as when the server ejects them. Off when absent.
   */
  referee?: { interval: number; tuning?: VerdictTuning };
  /**
   * Virtual seconds a peer waits on `ready()` in one go before it calls the algorithm's
   * `stalled()`, as the peer runtime's step loop does after its stallMs (an AD-PSGD exchange with a
   * silent passive peer then ends). Off when absent.
   */
  stallAfter?: number;
}

/** A peer the referee ejected. */
export interface Ejection {
  time: number;
  peer: PeerId;
  /** The peers whose evidence convicted it. */
  reporters: PeerId[];
  /** The verdict's rules it was convicted on (core's VerdictGround). */
  grounds: VerdictGround[];
}

/** What an observer of `runSimulationAsync` sees at each record. */
export interface SimObservation {
  /** The record just taken (virtual time, traffic, consensus, version ages...). */
  record: SimRecord;
  /** True for the record taken at the end of the run. */
  final: boolean;
  /** Live peer ids, ascending. */
  live: readonly PeerId[];
  /** A live peer's current model: a view, valid until the observer returns (or its Promise settles). */
  model(id: PeerId): Float32Array;
}

/** Called at every record, the run waiting for it; returning 'stop' ends the run (endReason 'stopped'). */
export type SimObserver = (o: SimObservation) => void | 'stop' | Promise<void | 'stop'>;

/** `SimConfig` for `runSimulationAsync`: the problem's gradient may be asynchronous, and records can be observed. */
export interface AsyncSimConfig extends Omit<SimConfig, 'problem'> {
  problem: ProblemSpec | Problem | AsyncProblem;
  observe?: SimObserver;
}

/** Mean / 95th percentile / max of a set of version ages. */
export interface AgeSummary {
  mean: number;
  p95: number;
  max: number;
}

/** Per-peer values at one record, indexed by peer id; NaN for ids not alive at that time. */
export interface PeerSeries {
  /** ||x_i - x*|| / ||x*||. */
  relError: Float64Array;
  /** F(x_i) over the live members. */
  objective: Float64Array;
  /** ||x_i - xbar||. */
  consensus: Float64Array;
  /** Completed steps (all ids that ever existed, so not NaN after a leave). */
  steps: Float64Array;
  /** Virtual seconds spent blocked so far, including a wait still in progress. */
  blockedTime: Float64Array;
  messagesSent: Float64Array;
  bytesSent: Float64Array;
  messagesDelivered: Float64Array;
  messagesDropped: Float64Array;
  /** Mean version age of the other peers at this peer (versioned algorithms only). */
  versionAge?: Float64Array;
}

export interface SimRecord {
  time: number;
  epoch: number;
  live: number;
  /** F(xbar) over the live members, xbar the mean of their models. */
  objective: number;
  /** F(xbar) - F*. */
  gap: number;
  /** ||xbar - x*|| / ||x*||. */
  relError: number;
  /** Mean and max over live peers of ||x_i - x*|| / ||x*||. */
  relErrorMean: number;
  relErrorMax: number;
  /** Mean over live peers of ||x_i - xbar||. */
  consensus: number;
  steps: number;
  /** Virtual seconds peers spent blocked so far, summed, including waits still in progress. */
  blockedTime: number;
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  /** Unreliable messages skipped at the sender because the link's send buffer was full. */
  messagesSkipped: number;
  messagesDiscarded: number;
  bytesSent: number;
  bytesDelivered: number;
  /** Present only for algorithms that track versions (gossip). */
  versionAge?: AgeSummary;
  /**
   * Tracker algorithms (R-FAST) only: the mass in transit, exact: ||sum_i g_i - sum_i z_i||_1 over
   * sum_i ||g_i||_1 (metrics.ts).
   */
  massInTransit?: number;
  peers?: PeerSeries;
}

export interface PeerSummary extends TrafficCounters {
  id: PeerId;
  alive: boolean;
  joinedAt: number;
  /** NaN while alive. */
  leftAt: number;
  steps: number;
  /** Virtual seconds spent waiting for `ready()` (not computing, not finished). */
  blockedTime: number;
  /** Final ||x_i - x*|| / ||x*|| (NaN if the peer left). */
  relError: number;
  /** Final F(x_i) (NaN if the peer left). */
  objective: number;
  algo: AlgoStats;
  versionAge?: AgeSummary;
}

/** 'stopped': an observer of `runSimulationAsync` asked to stop. */
export type EndReason = 'time' | 'steps' | 'idle' | 'stopped';

export interface SimResult {
  algorithm: AlgorithmName;
  seed: number;
  /** Virtual time the run ended. */
  endTime: number;
  /** 'idle': no event left before the stop condition (every peer blocked: a deadlock or a stall). */
  endReason: EndReason;
  epoch: number;
  /** Events processed (deliveries, step completions, membership changes, records). */
  events: number;
  records: SimRecord[];
  /** A record taken at the end of the run. */
  final: SimRecord;
  /** One entry per peer id that ever existed, by id. */
  peers: PeerSummary[];
  totals: TrafficCounters & { steps: number; blockedTime: number };
  /** Optimum of the final member set (float64). */
  optimum: Float64Array;
  optimalValue: number;
  /** Peers the referee ejected, in order (empty without a referee). */
  ejections: Ejection[];
}
