export { startServer, type RunningServer, type StartOptions } from './server';
export { parseCliArgs, USAGE, type CliResult } from './cli-args';
export {
  SERVER_TUNING,
  parseServerOptions,
  loadRunConfig,
  summariseRunConfig,
  ServerConfigError,
  type ServerOptions,
  type ServerOptionsInput,
} from './config';
export { Coordinator, type EpochUpdate, type JoinResult, type LeaveResult } from './coordinator';
export { PeerTable, RingBuffer, type TelemetrySample } from './peer-table';
export { Run, type RunSnapshot, type ServerCounters } from './run';
export { SignalingHub } from './signaling';
export { DatasetService, packedMnistLoader, type Splits, type SplitsLoader } from './datasets';
