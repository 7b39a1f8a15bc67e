import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunConfig } from '@starling/protocol';
import { encodeSet } from '@starling/tasks';
import { BackendError } from '@starling/training';
import type { Compute, TrainingRequest } from './compute';
import { pageCompute } from './page-compute';
import { serveCompute } from './compute-worker';
import { WorkerCompute, WorkerFailedError, WorkerOrPageCompute, type WorkerLike } from './worker-compute';
import { TINY_TASK } from './tiny-task.fixture';

/**
 * The page and its training worker over a real MessageChannel (structured clone, transferred
 * buffers), with real TF.js and a real shard on the far side: what the worker computes must be
 * exactly what the page computes itself.
 */

const task = TINY_TASK;

function shardUrl(count: number): string {
  const features = new Uint8Array(count * 4).map((_, i) => (i * 37) % 256);
  const targets = new Uint8Array(count).map((_, i) => i % 3);
  const bytes = encodeSet({ layout: 'examples', featureShape: [4], features, targets, count, classes: 3 });
  return `data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`;
}

function request(cfg: Record<string, unknown> = {}): TrainingRequest {
  const url = shardUrl(64);
  return { cfg: parseRunConfig({ batchSize: 8, seed: 3, evalEverySteps: 0, ...cfg }), task, peerId: 2, shardUrl: url, testUrl: url, backends: ['cpu'] };
}

/** A Worker's face on one end of a MessageChannel (Node ports are EventTargets once started). */
function asWorker(port: MessagePort): WorkerLike & { addEventListener: MessagePort['addEventListener'] } {
  port.start();
  return {
    postMessage: (m: unknown, transfer?: Transferable[]) => port.postMessage(m, transfer as never),
    addEventListener: ((type: string, fn: (e: Event) => void) => port.addEventListener(type, fn as never)) as never,
    terminate: () => port.close(),
  };
}

const open: Compute[] = [];
function workerPair(): WorkerCompute {
  const { port1, port2 } = new MessageChannel();
  serveCompute(asWorker(port2));
  const c = new WorkerCompute(asWorker(port1));
  open.push(c);
  return c;
}

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

describe('WorkerCompute with serveCompute on the other end of a channel', () => {
  it('checks backends, sets training up with progress, and gives the same gradients as the page, step after step', async () => {
    const worker = workerPair();
    const report = await worker.checkBackends(['cpu']);
    expect(report.backend).toBe('cpu');

    const progress: number[] = [];
    const trials: (string | null)[] = [];
    const remote = await worker.createTraining(request(), { download: (loaded) => progress.push(loaded), trial: (b) => trials.push(b) });
    const local = await pageCompute.createTraining(request(), { download: () => {} });
    expect(remote.backendReport?.backend).toBe('cpu');
    expect(progress.length).toBeGreaterThan(0);
    expect(trials.at(-1)).toBeNull();

    const dim = 4 * 6 + 6 + 6 * 3 + 3;
    const x = new Float32Array(dim).map((_, i) => Math.sin(i) * 0.3);
    expect(remote.busyMs?.()).toBe(0);
    let busy = 0;
    for (let step = 0; step < 3; step++) {
      const a = new Float32Array(dim);
      const b = new Float32Array(dim);
      const [la, lb] = [await remote.gradient(x, a), await local.gradient(x, b)];
      // The worker's own count of its gradients' time comes back with each one, and only grows.
      const now = remote.busyMs?.() ?? 0;
      expect(now).toBeGreaterThan(busy);
      busy = now;
      expect(la).toBe(lb);
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(a.some((v) => v !== 0)).toBe(true);
      // The caller's x is only read: it must not have been handed away.
      expect(x.length).toBe(dim);
      x[step] += 0.1;
    }
    await remote.dispose();
    await local.dispose();
  });

  it('with innerSteps, hands back the sum of that many SGD steps, each on the next minibatch where the last one left', async () => {
    const lr = 0.5;
    const H = 3;
    const remote = await workerPair().createTraining(request({ innerSteps: H, lr }), { download: () => {} });
    const local = await pageCompute.createTraining(request({ lr }), { download: () => {} });
    const dim = 4 * 6 + 6 + 6 * 3 + 3;
    const x = new Float32Array(dim).map((_, i) => Math.sin(i) * 0.3);
    const sum = new Float32Array(dim);
    const loss = await remote.gradient(x, sum);

    // The same steps one gradient at a time on the page (same seed: the same minibatches).
    const xk = x.slice();
    const g = new Float32Array(dim);
    const want = new Float64Array(dim);
    let lossSum = 0;
    for (let k = 0; k < H; k++) {
      lossSum += await local.gradient(xk, g);
      for (let i = 0; i < dim; i++) {
        want[i] += g[i];
        xk[i] -= lr * g[i];
      }
    }
    expect(loss).toBeCloseTo(lossSum / H, 5);
    for (let i = 0; i < dim; i++) expect(sum[i]).toBeCloseTo(want[i], 5);
    // Not the gradient at x times H: the later steps saw other points and other minibatches.
    const fresh = await pageCompute.createTraining(request({ lr }), { download: () => {} });
    const first = new Float32Array(dim);
    await fresh.gradient(x, first);
    expect(sum.some((v, i) => Math.abs(v - H * first[i]) > 1e-4)).toBe(true);
    await Promise.all([remote.dispose(), local.dispose(), fresh.dispose()]);
  });

  it("rebuilds the worker's typed errors and answers a gradient asked too early with a clear error", async () => {
    const worker = workerPair();
    const err = await worker.checkBackends(['webgpu']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).attempts.length).toBeGreaterThan(0);
    await expect(worker.call({ t: 'gradient', id: 0, x: new Float32Array(3), out: new Float32Array(3) })).rejects.toThrow(/gradient before create/);
  });

  it('fails what is waiting when the worker breaks, instead of leaving the step loop waiting forever', async () => {
    const { port1 } = new MessageChannel(); // nobody serves the other end
    const worker = new WorkerCompute(asWorker(port1));
    const waiting = worker.checkBackends(['cpu']);
    worker.close();
    await expect(waiting).rejects.toBeInstanceOf(WorkerFailedError);
    await expect(worker.checkBackends(['cpu'])).rejects.toBeInstanceOf(WorkerFailedError);
  });
});

describe('WorkerOrPageCompute', () => {
  /** A worker whose script never runs: the browser reports an error event on the Worker. */
  function brokenWorker(): WorkerLike {
    const onError: ((e: Event) => void)[] = [];
    return {
      postMessage: () => queueMicrotask(() => onError.forEach((fn) => fn(Object.assign(new Event('error'), { message: 'bad script' })))),
      addEventListener: ((type: string, fn: (e: Event) => void) => type === 'error' && onError.push(fn)) as never,
    };
  }

  it('falls back to the page when the worker cannot run, and says so', async () => {
    const lines: string[] = [];
    const c = new WorkerOrPageCompute(brokenWorker, pageCompute, (l) => lines.push(l));
    expect(c.where).toBe('worker');
    expect((await c.checkBackends(['cpu'])).backend).toBe('cpu');
    expect(c.where).toBe('page');
    expect(lines.join('\n')).toMatch(/bad script; training on the page/);
  });

  it('falls back when the worker cannot even be made', async () => {
    const c = new WorkerOrPageCompute(() => {
      throw new Error('no Worker here');
    }, pageCompute);
    expect(c.where).toBe('page');
  });

  it('keeps a working worker', async () => {
    const { port1, port2 } = new MessageChannel();
    serveCompute(asWorker(port2));
    const c = new WorkerOrPageCompute(() => asWorker(port1), pageCompute);
    open.push(c);
    expect((await c.checkBackends(['cpu'])).backend).toBe('cpu');
    expect(c.where).toBe('worker');
  });
});
