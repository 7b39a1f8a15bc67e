/** @starling/sim: a deterministic discrete-event simulator that drives core algorithms in virtual time. */
export { runSimulation } from './simulator';
export { runSimulationAsync } from './simulator-async';
export type {
  SimConfig,
  AsyncSimConfig,
  SimObservation,
  SimObserver,
  SimResult,
  SimRecord,
  PeerSummary,
  PeerSeries,
  AgeSummary,
  EndReason,
  TopologySpec,
  MembershipChange,
  Ejection,
  AlgorithmSettings,
  StopCondition,
  RecordOptions,
} from './types';
export { createProblem, type AsyncProblem, type Problem, type ProblemSpec, type MemberObjective } from './problems';
export { Network, type LinkModel, type NetworkConfig, type SendOutcome } from './network';
export { ComputeTimes, type ComputeModel, type Straggler } from './compute';
export { EventQueue } from './events';
export type { TrafficCounters } from './peers';
export { SIM_DEFAULTS } from './config';
export { SimConfigError, SimNetworkError } from './errors';
export { deriveSeed } from './seeds';
export { ATTACKS, hostileFactory, type AttackKind, type AttackSpec } from './attacks';
