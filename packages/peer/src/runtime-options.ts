import type { Algorithm, AlgorithmName, AlgorithmOptions } from '@starling/core';
import type { BackendName, SelectBackendOptions } from '@starling/training';
import type { PeerRuntimeTuning } from './config';
import type { Compute } from './compute';
import type { PeerStatus } from './status';
import type { CreatePeer, WrtcImpl } from './webrtc-transport';

export interface PeerRuntimeOptions {
  /** Origin of the Starling server, e.g. `location.origin`. */
  serverUrl: string;
  /** simple-peer constructor: the browser bundle, or simple-peer in Node. */
  createPeer: CreatePeer;
  /** The WebRTC classes: the browser's globals by default, @roamhq/wrtc in Node. */
  wrtc?: WrtcImpl;
  /**
   * The volunteer's own upload cap, bytes per second (null: none): the tab uploads at most the
   * lower of this and the run's `network.uplinkBytesPerSec`. `setUploadCap` changes it live.
   */
  uploadCapBytesPerSec?: number | null;
  backends?: readonly BackendName[];
  backendOptions?: SelectBackendOptions;
  /**
   * Where TF.js runs: on this thread by default; the web app passes a WorkerCompute so a hidden
   * tab keeps training (browsers throttle a hidden page, not its dedicated workers).
   */
  compute?: Compute;
  tuning?: Partial<PeerRuntimeTuning>;
  /**
   * Use this device k times more slowly than it can (k >= 1): after each gradient the loop rests
   * (k - 1) times as long as the gradient took, with the event loop free meanwhile. Lets a
   * volunteer lend part of a device, and lets a benchmark make a straggler on purpose.
   */
  slowdown?: number;
  /** Called whenever the phase changes or an error occurs (the page also polls `status()`). */
  onChange?: (s: PeerStatus) => void;
  /**
   * Builds the run's algorithm; default core's createAlgorithm. Robustness tests plug a hostile
   * peer in here (the headless CLI's --attack); a volunteer's page never sets it.
   */
  createAlgorithm?: (name: AlgorithmName, opts: AlgorithmOptions) => Algorithm;
  now?: () => number;
}
