import type { PeerId } from '@starling/core';
import type { LinkReport, SenderEvidenceReport } from '@starling/protocol';
import type { BackendAttempt } from '@starling/training';
import type { PeerErrorCode } from './errors';
import type { StartupMark } from './startup-timeline';

export type PeerPhase =
  | 'idle'
  | 'selecting-backend'
  | 'connecting'
  | 'downloading'
  | 'syncing'
  | 'training'
  | 'paused'
  | 'reconnecting'
  | 'stopped'
  | 'error';

/** Everything the contribute page shows; a plain object so it can cross to a test harness. */
export interface PeerStatus {
  phase: PeerPhase;
  backend: string | null;
  /** Which implementation runs the algorithm's own arithmetic ('simd' or 'js'), where it has a choice. */
  kernels: 'simd' | 'js' | null;
  /** Why better backends were not used, e.g. "webgpu: navigator.gpu is missing". */
  backendAttempts: BackendAttempt[];
  device: string | null;
  /** The backend's "GPU" is emulated on the CPU (SwiftShader, llvmpipe): the page must not call it a GPU. */
  softwareGpu: boolean;
  /** Epoch news the server sent that never arrived (the member list could not be rebuilt, so the peer joined again). */
  epochGaps: number;
  /** Where TF.js runs: on the page's own thread, or in a dedicated worker (keeps going in a hidden tab). */
  computeIn: 'page' | 'worker';
  /** What the peer is doing before its first step, for the page (e.g. "timing webgl on this run's model"); null otherwise. */
  activity: string | null;
  peerId: PeerId | null;
  runId: string | null;
  algorithm: string | null;
  /** The run's task id (e.g. 'mnist-cnn'). */
  task: string | null;
  epoch: number;
  /**
   * Members of the run as this peer last heard them: the server tells a peer of joins only when its
   * own lists change (joins grow the graph), so a peer a join did not touch still counts the run without the
   * joiner. The server's /api/peers is the run's size.
   */
  members: number;
  neighboursWanted: number;
  neighboursOpen: number;
  steps: number;
  samples: number;
  loss: number | null;
  /** Accuracy on the test subset, measured in this tab (the dashboard's figure is the server's). */
  accuracy: number | null;
  stepsPerSec: number;
  /** Mean steps of ours since each neighbour's latest data frame arrived (see staleness.ts). */
  staleness: number | null;
  /**
   * R-FAST with compact frames: tracker mass pushed and not yet acknowledged by the receivers, as a
   * fraction of this peer's latest gradient (L1); null for other algorithms and encodings.
   */
  massInTransit: number | null;
  /** Share of the training time (running, not paused) spent computing gradients. */
  computeShare: number | null;
  /** R-FAST: the share of its slots this peer sends per step now (the adaptive send budget's, else the run's: runSendShare); null for other algorithms. */
  sendShare: number | null;
  /** Senders whose frames the algorithm refused for their content or clipped (robust mixing), most refused first. */
  evidence: SenderEvidenceReport[];
  /** The uplink this peer sends through: bytes/s (null: not limited) and added one-way latency. */
  uplinkBytesPerSec: number | null;
  latencyMs: number;
  /** Where this peer's model started: a neighbour's copy, the run's checkpoint, or x0. */
  startedFrom: string | null;
  startedAt: number | null;
  /** Where the first seconds went: a mark per phase and per backend timed, from start() to the first step. */
  startup: StartupMark[];
  /** When start() was called (unix ms): what came before it is the page's own load. */
  startupBeganAt: number | null;
  download: { loaded: number; total: number | null } | null;
  paused: boolean;
  lossRate: number;
  /** Model snapshots sent to the server for its own evaluation. */
  snapshotsUploaded: number;
  snapshotsFailed: number;
  computeMs: number;
  commMs: number;
  blockedMs: number;
  /** Time the step loop ran (not paused): computeMs over it is computeShare; deltas of both give it over any window. */
  trainingMs: number;
  /** Time the training engine spent computing gradients, timed where it runs (Training.busyMs; the worker's own clock). */
  gradientBusyMs: number;
  framesSent: number;
  framesReceived: number;
  framesLost: number;
  framesRejected: number;
  bytesSent: number;
  bytesReceived: number;
  /** Frames sent on the unreliable channels (loss injection drops `injectedDrops` of these). */
  unreliableSent: number;
  injectedDrops: number;
  backpressureSkips: number;
  /** Each open link's route (host / srflx / relay) and round-trip time, read from WebRTC's stats about once a second. */
  links: LinkReport[];
  /** When the TURN credentials this peer holds expire (unix ms); null without TURN. */
  iceExpiresAt: number | null;
  error: { code: PeerErrorCode; message: string; detail: string; advice: string } | null;
}

export function initialStatus(): PeerStatus {
  return {
    phase: 'idle', backend: null, kernels: null, backendAttempts: [], device: null, softwareGpu: false, computeIn: 'page', epochGaps: 0, activity: null, peerId: null, runId: null,
    algorithm: null, task: null, epoch: 0, members: 0, neighboursWanted: 0, neighboursOpen: 0, steps: 0,
    samples: 0, loss: null, accuracy: null, stepsPerSec: 0, staleness: null, massInTransit: null, computeShare: null, sendShare: null, evidence: [],
    uplinkBytesPerSec: null, latencyMs: 0, startedFrom: null, startedAt: null, startup: [], startupBeganAt: null, download: null,
    paused: false, lossRate: 0, snapshotsUploaded: 0, snapshotsFailed: 0, computeMs: 0, commMs: 0, blockedMs: 0, trainingMs: 0, gradientBusyMs: 0, framesSent: 0,
    framesReceived: 0, framesLost: 0, framesRejected: 0, bytesSent: 0, bytesReceived: 0,
    unreliableSent: 0, injectedDrops: 0, backpressureSkips: 0, links: [], iceExpiresAt: null, error: null,
  };
}
