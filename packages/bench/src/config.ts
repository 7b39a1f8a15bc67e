/**
 * Every tunable of the benchmarks in one place. Presets (`presets.ts`) pick scenarios, algorithms,
 * budgets and grids; the fixed setting every run shares lives here.
 */
export const BENCH_CONFIG = {
  /**
   * The task when none is picked (`--task`): the platform's e2e model, MNIST with an MLP
   * 784-64-10 (50,890 parameters). A picked task runs with its own default options.
   */
  task: { id: 'mnist-mlp', options: { hidden: [64] } as Record<string, unknown> },
  /** Minibatch per gradient, as the platform's default run config. */
  batchSize: 32,
  /** f32 elements per message block: the platform's default (protocol `blockSize`). */
  blockSize: 4096,
  /** Graph for R-FAST (G_R = G_C), D-PSGD and AD-PSGD: the platform's default. */
  topology: 'exponential' as const,
  /**
   * Links between peers. 40 MB/s per channel is what two Chromium tabs reached on this machine
   * (docs/environment.md); latency and jitter are the simulator's defaults (not measured here).
   * Unreliable sends are skipped while `sendBuffer` bytes are queued, as the peer runtime does with
   * its maxBufferedBytes. 128 KiB rather than the runtime's 1 MiB default: at 40 MB/s a full 1 MiB
   * queue is 26 ms (~8 steps) of delay on every R-FAST block (override with --send-buffer).
   */
  network: { latency: 0.005, jitter: 0.002, bandwidth: 40e6, sendBuffer: 128 * 1024, duplicate: 0 },
  /** Relative jitter of every step time around the calibrated one. */
  computeJitter: 0.1,
  /** Straggler scenarios: one peer this much slower; a quarter of the peers this much slower. */
  oneSlowFactor: 4,
  quarterSlowFactor: 2,
  /**
   * Random pauses (a tab in the background): per step, this chance of a pause of
   * U(0.5, 1.5) x duration seconds (about 1 pause per 1000 steps, 0.5 s on average).
   */
  pauseProbability: 0.001,
  pauseDuration: 0.5,
  /** Non-IID shards: labels per peer, the platform's default. */
  classesPerShard: 2,
  /** R-FAST's frames in the comparison: the platform's default (compact, docs/algorithms.md 1.7). */
  rfastEncoding: 'f16-i8' as const,
  /** OSGP: steps it may run ahead of what it received before it blocks. */
  osgpTau: 4,
  /** Gossip local SGD: local steps per version; the fanout is ceil(ln n) (c = 1). */
  gossipLocalSteps: 1,
  gossipFanoutC: 1,
  /** Calibration of the compute model: warm-up and timed TF.js gradient steps. */
  calibrationWarmup: 20,
  calibrationSteps: 200,
  /** Records (and evaluations of the average model) per time budget. */
  recordsPerBudget: 24,
  /**
   * A run that has not reached the highest target at the budget goes on, up to this multiple of
   * the budget and at most `extendStepFactor` x the gradient steps an unhindered run makes in the
   * budget, so time-to-target is measured for slow algorithms without paying for fast ones twice.
   */
  extendFactor: 3,
  extendStepFactor: 1.25,
  /** Where MNIST is packed (git-ignored). */
  dataDir: '.data',
  /** TF.js backends tried in order (Node: wasm, then cpu). */
  backends: ['wasm', 'cpu'] as const,
} as const;

export type BenchConfig = typeof BENCH_CONFIG;
