import { BackendError, TrainingError, type BackendName, type BackendReport, type SelectBackendOptions } from '@starling/training';
import type { Compute, Training, TrainingProgress, TrainingRequest } from './compute';
import { PeerError, type PeerErrorCode } from './errors';
import type { ComputeReply, ComputeRequest, WireError } from './worker-messages';

/** The part of a Worker this needs (a Worker, or a MessagePort in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  addEventListener(type: 'error', fn: (e: ErrorEvent | Event) => void): void;
  terminate?(): void;
}

/** The worker itself failed (its script did not load, or it threw outside any request). */
export class WorkerFailedError extends Error {
  override readonly name = 'WorkerFailedError';
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/**
 * TF.js in a dedicated worker (compute-worker.ts serves the other end). Each gradient hands two
 * model-sized buffers to the worker and gets them back (transferred, not copied): one copy of x in
 * and one of the gradient out per step, no allocation.
 */
export class WorkerCompute implements Compute {
  readonly where = 'worker' as const;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private progress: TrainingProgress | null = null;
  private broken: WorkerFailedError | null = null;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (e: MessageEvent) => this.onReply(e.data as ComputeReply));
    // Its script did not load, or our code in it threw outside a request: requests in flight
    // would never be answered, so everything waiting fails now, with the reason.
    worker.addEventListener('error', (e: ErrorEvent | Event) => {
      this.breakDown(new WorkerFailedError(`the training worker failed: ${'message' in e && e.message ? e.message : 'its script could not run'}`));
    });
  }

  checkBackends(order: readonly BackendName[], options?: SelectBackendOptions): Promise<BackendReport> {
    return this.call({ t: 'check', id: 0, order: [...order], options }) as Promise<BackendReport>;
  }

  async createTraining(req: TrainingRequest, progress: TrainingProgress): Promise<Training> {
    this.progress = progress;
    try {
      const report = (await this.call({ t: 'create', id: 0, req })) as BackendReport | undefined;
      return new WorkerTraining(this, report);
    } finally {
      this.progress = null;
    }
  }

  close(): void {
    this.breakDown(new WorkerFailedError('the training worker was closed'));
    this.worker.terminate?.();
  }

  /** One request and its answer; `transfer` moves buffers rather than copying them. */
  call(msg: ComputeRequest, transfer: Transferable[] = []): Promise<unknown> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  private onReply(r: ComputeReply): void {
    if (r.t === 'progress') return this.progress?.download(r.loaded, r.total);
    if (r.t === 'trial') return this.progress?.trial?.(r.backend);
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.t === 'done') p.resolve(r.value);
    else p.reject(rebuildError(r.error));
  }

  private breakDown(e: WorkerFailedError): void {
    this.broken ??= e;
    for (const p of this.pending.values()) p.reject(this.broken);
    this.pending.clear();
  }
}

class WorkerTraining implements Training {
  /** The two buffers that travel to the worker and back; null while they are over there. */
  private x: Float32Array | null = null;
  private g: Float32Array | null = null;
  private busy = 0;

  constructor(
    private readonly compute: WorkerCompute,
    readonly backendReport: BackendReport | undefined,
  ) {}

  async gradient(x: Float32Array, out: Float32Array): Promise<number> {
    // The loop asks for one gradient at a time; a second caller gets its own buffers.
    const xb = this.x?.length === x.length ? this.x : new Float32Array(x.length);
    const gb = this.g?.length === out.length ? this.g : new Float32Array(out.length);
    this.x = this.g = null;
    xb.set(x);
    const r = (await this.compute.call({ t: 'gradient', id: 0, x: xb, out: gb }, [xb.buffer, gb.buffer])) as { loss: number; x: Float32Array; out: Float32Array; busyMs: number };
    out.set(r.out);
    this.busy = r.busyMs;
    this.x = r.x;
    this.g = r.out;
    return r.loss;
  }

  /** The worker's own count (LocalTraining.busyMs), as of its latest gradient. */
  busyMs(): number {
    return this.busy;
  }

  async accuracy(x: Float32Array, n: number): Promise<number | null> {
    // Every evalEverySteps steps only: a structured-clone copy is fine.
    return (await this.compute.call({ t: 'accuracy', id: 0, x, n })) as number | null;
  }

  async dispose(): Promise<void> {
    await this.compute.call({ t: 'dispose', id: 0 }).catch(() => {});
  }
}

/** The worker's error as the type the runtime knows, so the volunteer sees the same message. */
function rebuildError(e: WireError): Error {
  if (e.name === 'PeerError' && e.code) return new PeerError(e.code as PeerErrorCode, e.detail ?? e.message);
  if (e.name === 'BackendError') return new BackendError(e.message, e.attempts ?? []);
  if (e.name === 'TrainingError') return new TrainingError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * A worker first, the page's own thread if the worker cannot start (a browser without module
 * workers, a blocked script): the volunteer still trains, in the foreground only, and the status
 * says where. Once training was set up in the worker it stays there; a later failure is an error.
 */
export class WorkerOrPageCompute implements Compute {
  private current: Compute;
  private settled = false;

  constructor(
    makeWorker: () => WorkerLike,
    private readonly fallback: Compute,
    private readonly log: (line: string) => void = () => {},
  ) {
    try {
      this.current = new WorkerCompute(makeWorker());
    } catch (e) {
      this.log(`training worker unavailable (${(e as Error).message}); training on the page`);
      this.current = fallback;
      this.settled = true;
    }
  }

  get where(): Compute['where'] {
    return this.current.where;
  }

  async checkBackends(order: readonly BackendName[], options?: SelectBackendOptions): Promise<BackendReport> {
    try {
      return await this.current.checkBackends(order, options);
    } catch (e) {
      if (this.settled || !(e instanceof WorkerFailedError)) throw e;
      this.log(`${e.message}; training on the page`);
      this.current.close();
      this.current = this.fallback;
      return this.current.checkBackends(order, options);
    } finally {
      this.settled = true;
    }
  }

  createTraining(req: TrainingRequest, progress: TrainingProgress): Promise<Training> {
    return this.current.createTraining(req, progress);
  }

  close(): void {
    this.current.close();
  }
}
