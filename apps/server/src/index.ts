export { startServer, type RunningServer, type StartOptions } from './server';
export { parseCliArgs, USAGE, type CliResult } from './cli-args';
export {
  SERVER_TUNING,
  resolveTuning,
  parseServerOptions,
  loadRunConfig,
  summariseRunConfig,
  ServerConfigError,
  type ServerOptions,
  type ServerOptionsInput,
  type ServerTuning,
  type DownsampleTier,
} from './config';
export { Coordinator, type EpochUpdate, type JoinResult, type LeaveResult } from './coordinator';
export { PeerTable, RingBuffer, type TelemetrySample } from './peer-table';
export { Run } from './run';
export { flattenCounters, type ServerCounters } from './counters';
export { RunLifecycle, RunIdTakenError, sameConfig } from './lifecycle';
export { SignalingHub } from './signaling';
export { DatasetService, packedTaskLoader, type Splits, type SplitsLoader } from './datasets';
export { TaskCatalog } from './task-catalog';
export { Store, StoreError, SCHEMA_VERSION, type RunRecord, type Checkpoint, type CheckpointMeta } from './store';
export { SnapshotEvaluator, type Snapshot } from './evaluator';
export { ModelExporter, type ModelJson } from './model-export';
export { MetricsRecorder, swarmPoint } from './metrics-recorder';
