/** @starling/peer: the volunteer peer runtime, shared by the browser page and headless Node peers. */
export { PeerRuntime } from './runtime';
export type { PeerRuntimeOptions } from './runtime-options';
export { initialStatus, type PeerPhase, type PeerStatus } from './status';
export { startupSummary, type StartupMark } from './startup-timeline';
export { PeerError, type PeerErrorCode } from './errors';
export { DEFAULT_TUNING, RELIABLE_CHANNEL_ID, UNRELIABLE_CHANNEL_ID, type PeerRuntimeTuning } from './config';
export type { LinkCounters } from './link';
export { WebRtcTransport, globalWrtc, type CreatePeer, type RtcPeer, type RtcPeerOptions, type WrtcImpl } from './webrtc-transport';
export { Mesh, type MeshEvents, type MeshTotals } from './mesh';
export { FrameRouter, type FrameCounters } from './frames';
export { StepLoop, type GradientFn, type StepCounters } from './step-loop';
export { linkTargets } from './link-targets';
export { downloadSet } from './data-loader';
export { lazyPageCompute, type Compute, type ComputeWhere, type Training, type TrainingProgress, type TrainingRequest } from './compute';
export { pageCompute } from './page-compute';
export { WorkerCompute, WorkerFailedError, WorkerOrPageCompute, type WorkerLike } from './worker-compute';
export { serveCompute, type WorkerScope } from './compute-worker';
