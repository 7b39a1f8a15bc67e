import type { Training } from './compute';
import { pageCompute, runBackendCheck } from './page-compute';
import { toWireError, type ComputeReply, type ComputeRequest } from './worker-messages';

/** The worker's global scope, as far as this needs it. */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
}

/**
 * The worker end of WorkerCompute: TF.js, the shard and the minibatch sampler live here. Requests
 * are answered one by one in arrival order; a gradient's two buffers go back to the page with it.
 * Started by the web app's worker entry (apps/web/src/training-worker.ts) with `self`.
 */
export function serveCompute(scope: WorkerScope): void {
  let training: Training | null = null;
  const reply = (r: ComputeReply, transfer: Transferable[] = []) => scope.postMessage(r, transfer);
  // Requests run in order: a gradient never overlaps a dispose or another gradient.
  let queue: Promise<void> = Promise.resolve();

  const handle = async (m: ComputeRequest): Promise<void> => {
    try {
      switch (m.t) {
        case 'check':
          return reply({ t: 'done', id: m.id, value: await runBackendCheck(m.order, m.options) });
        case 'create': {
          await training?.dispose();
          training = null;
          training = await pageCompute.createTraining(m.req, {
            download: (loaded, total) => reply({ t: 'progress', loaded, total }),
            trial: (backend) => reply({ t: 'trial', backend }),
          });
          return reply({ t: 'done', id: m.id, value: training.backendReport });
        }
        case 'gradient': {
          if (!training) throw new Error('no training set up in the worker (gradient before create)');
          const loss = await training.gradient(m.x, m.out);
          return reply({ t: 'done', id: m.id, value: { loss, x: m.x, out: m.out, busyMs: training.busyMs?.() ?? 0 } }, [m.x.buffer, m.out.buffer]);
        }
        case 'accuracy':
          return reply({ t: 'done', id: m.id, value: training ? await training.accuracy(m.x, m.n) : null });
        case 'dispose':
          await training?.dispose();
          training = null;
          return reply({ t: 'done', id: m.id, value: null });
      }
    } catch (e) {
      reply({ t: 'error', id: m.id, error: toWireError(e) });
    }
  };

  scope.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as ComputeRequest;
    queue = queue.then(() => handle(m));
  });
}
