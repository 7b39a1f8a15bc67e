import type { RunConfig, TaskInfo } from '@starling/protocol';
import type { BackendName, BackendReport, SelectBackendOptions } from '@starling/training';
import type { ProgressFn } from './data-loader';

/**
 * Where a peer's TF.js work runs. The step loop, the algorithm and the network stay on the page
 * (or the Node process); only the backend check and the run's training (data shard, minibatches,
 * gradients, the local evaluation) sit behind this line, so a browser can move them into a
 * dedicated Worker, whose timers and compute the browser does not throttle when the tab is hidden.
 */
export interface Compute {
  /** Shown to the volunteer: TF.js runs on the page itself or in a dedicated worker. */
  readonly where: ComputeWhere;
  /** A backend that works, checked before the peer tells the server it is here (no model yet). */
  checkBackends(order: readonly BackendName[], options?: SelectBackendOptions): Promise<BackendReport>;
  /** The run's training: shard downloaded, every candidate backend timed on the run's model. */
  createTraining(req: TrainingRequest, progress: TrainingProgress): Promise<Training>;
  /** Ends the worker (if any); training objects made by it stop answering. */
  close(): void;
}

export type ComputeWhere = 'page' | 'worker';

/** What a run's training needs: plain data, so it crosses to a worker as it is. */
export interface TrainingRequest {
  cfg: RunConfig;
  task: TaskInfo;
  peerId: number;
  /** Absolute URLs (a worker has no page to resolve them against). */
  shardUrl: string;
  testUrl: string;
  backends: readonly BackendName[];
  backendOptions?: SelectBackendOptions;
}

export interface TrainingProgress {
  download: ProgressFn;
  /** The backend being timed on the run's model, then null once the trial is over. */
  trial?: (backend: BackendName | null) => void;
}

/** One run's training, wherever it runs: LocalTraining's surface. */
export interface Training {
  readonly backendReport: BackendReport | undefined;
  /** Gradient of the next minibatch at x, into out; NaN when it is not finite. */
  gradient(x: Float32Array, out: Float32Array): Promise<number>;
  /**
   * Milliseconds spent computing gradients so far, timed where they run (in the worker, by its own
   * clock): over wall time, the share of the tab's time its gradients got. The step loop's
   * computeMs also holds the wait for the reply, frames handled on the page meanwhile included.
   */
  busyMs?(): number;
  /** Accuracy on the first n test examples; null for regression or while the test set downloads. */
  accuracy(x: Float32Array, n: number): Promise<number | null>;
  dispose(): Promise<void>;
}

/**
 * TF.js on the calling thread (page-compute.ts), loaded on first use: a page whose training runs
 * in a worker never downloads or parses TF.js itself unless the worker fails and it falls back.
 */
export const lazyPageCompute: Compute = {
  where: 'page',
  async checkBackends(order, options) {
    return (await loadPageCompute()).checkBackends(order, options);
  },
  async createTraining(req, progress) {
    return (await loadPageCompute()).createTraining(req, progress);
  },
  close() {},
};

let pageModule: Promise<Compute> | null = null;
function loadPageCompute(): Promise<Compute> {
  pageModule ??= import('./page-compute').then((m) => m.pageCompute);
  return pageModule;
}
