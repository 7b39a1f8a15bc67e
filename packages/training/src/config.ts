/**
 * Tunables of the training package, in one place. Every entry says why it has the value it has.
 */
import type { BackendName } from './backend';

/** How a backend's speed is measured before training (`createFastestTrainer`). */
export interface SpeedTrialConfig {
  /** Untimed steps first: a GPU backend compiles its shaders on the first step (seconds on SwiftShader). */
  warmupSteps: number;
  /** Timed steps at least, however slow: one step alone is too noisy. */
  minSteps: number;
  /** Timed steps at most: enough for a stable figure on a fast backend. */
  maxSteps: number;
  /**
   * Stop timing after this long once minSteps are done, so a slow candidate costs little. wasm with
   * no rival (no GPU adapter, or a software one) is timed for minSteps only: its figure decides nothing.
   */
  measureMs: number;
  /**
   * Time the plain-JS cpu backend like the others. Off: it is the last resort, used only when
   * nothing else works, since wasm runs the same arithmetic several times faster.
   */
  timeCpu: boolean;
  /**
   * A candidate whose timed steps take this many times the best rate's step time has lost: its
   * timing stops after one step (to time a software GPU fully costs seconds per tab).
   */
  giveUpFactor: number;
}

export interface TrainingConfig {
  /**
   * Preferred backends, fastest first. webgpu and webgl only exist in a browser; wasm works in both
   * Node and the browser; cpu is the always-available fallback.
   */
  backendOrder: readonly BackendName[];
  /**
   * Relative tolerance of the backend self-check (`|got - want| <= tol * max(1, |want|)`). The check
   * sums a few dozen float32 products; a float32 backend lands within 1e-6, a WebGL device limited to
   * half-float textures within about 1e-3 (slow to train but correct, so it passes), while a broken
   * backend (a no-op kernel, garbage read-back) is off by O(1).
   */
  verifyTolerance: number;
  /**
   * How long one backend may take to initialise and pass its self-check before we give up on it.
   * Chromium's `requestAdapter()` can hang forever without the right flags; a hung backend must
   * become a reported fallback, not a hung peer.
   */
  backendTimeoutMs: number;
  /** Images per forward pass in `evaluate`: large enough to amortise dispatch, small enough for GPU memory. */
  evalBatchSize: number;
  /** Multiplier that maps Uint8Array pixel bytes (0..255) to the float inputs the model is trained on. */
  pixelScale: number;
  /**
   * Refuse to hand out a gradient (or accept parameters) containing NaN/Inf. One NaN pushed into an
   * R-FAST running sum poisons every peer downstream for good, so failing loudly is the safe default.
   */
  rejectNonFinite: boolean;
  /**
   * Timing of each backend on the run's model. A volunteer waits for it once per join: with three
   * candidates it costs about 3 x (warm-up + measureMs), a second or two on a CPU, more when a
   * software GPU compiles shaders.
   */
  speedTrial: Readonly<SpeedTrialConfig>;
}

export const TRAINING_DEFAULTS: Readonly<TrainingConfig> = Object.freeze({
  backendOrder: Object.freeze(['webgpu', 'webgl', 'wasm', 'cpu'] as const),
  verifyTolerance: 5e-3,
  backendTimeoutMs: 15_000,
  evalBatchSize: 500,
  pixelScale: 1 / 255,
  rejectNonFinite: true,
  speedTrial: Object.freeze({ warmupSteps: 1, minSteps: 2, maxSteps: 20, measureMs: 400, timeCpu: false, giveUpFactor: 3 }),
});

/** Fixed by the data set, not tunable: MNIST-like 28x28 grey images and 10 classes. */
export const IMAGE_SIDE = 28;
export const INPUT_SIZE = IMAGE_SIDE * IMAGE_SIDE;
export const NUM_CLASSES = 10;
