import { prefetchGpuAdapter, selectBackend, wasmFirst, type BackendName, type BackendReport, type SelectBackendOptions } from '@starling/training';
import type { Compute } from './compute';
import { LocalTraining } from './local-training';

/** TF.js on the calling thread: Node's headless peer, and a browser that cannot start a worker. */
export const pageCompute: Compute = {
  where: 'page',
  checkBackends(order, options) {
    return runBackendCheck(order, options);
  },
  createTraining(req, progress) {
    return LocalTraining.create(req.cfg, req.task, req.peerId, req.shardUrl, req.testUrl, progress.download, req.backends, req.backendOptions, progress.trial);
  },
  close() {},
};

/**
 * The start-up check, in the speed trial's order: the wasm initialised here is the one the trial
 * times first, while a GPU backend checked first would have its shaders compiled only for the
 * trial to skip it as software. The trial asks for a WebGPU adapter after wasm, and the answer can
 * take a second under load, so the request goes out now.
 */
export function runBackendCheck(order: readonly BackendName[], options?: SelectBackendOptions): Promise<BackendReport> {
  if (order.includes('webgpu')) prefetchGpuAdapter();
  return selectBackend(wasmFirst(order), options);
}
