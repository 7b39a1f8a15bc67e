import { specName, Trainer, type BackendName, type ModelSpec } from '@starling/training';

/**
 * The server's one TF.js model: a Trainer for the current run's model spec, created on first use
 * (the wasm backend takes a moment to start) and replaced when a run with another spec needs it.
 * Shared by the evaluator and the model export, whose calls the Trainer serialises.
 */

export interface ModelRuntimeOptions {
  backends: readonly BackendName[];
  /** Images per forward pass inside one `evaluate` call. */
  evalBatchSize: number;
  log?: (line: string) => void;
}

export class ModelRuntime {
  private current: { key: string; trainer: Promise<Trainer> } | undefined;
  private closed = false;

  constructor(private readonly opts: ModelRuntimeOptions) {}

  /** The trainer for `spec`; a failed start is retried by the next call. */
  trainerFor(spec: ModelSpec): Promise<Trainer> {
    if (this.closed) return Promise.reject(new Error('the model runtime is closed'));
    const key = specName(spec);
    if (this.current?.key === key) return this.current.trainer;
    const previous = this.current?.trainer;
    // Dispose waits for calls in flight, so an evaluation of the old spec still finishes.
    previous?.then((t) => t.dispose()).catch(() => {});
    const trainer = Trainer.create(spec, { backends: this.opts.backends, evalBatchSize: this.opts.evalBatchSize }).then(
      (t) => {
        this.opts.log?.(`model runtime: ${key} on ${t.backend} (${t.dim} parameters)`);
        return t;
      },
      (e: unknown) => {
        if (this.current?.trainer === trainer) this.current = undefined;
        throw e;
      },
    );
    this.current = { key, trainer };
    return trainer;
  }

  async close(): Promise<void> {
    this.closed = true;
    const t = this.current?.trainer;
    this.current = undefined;
    if (t !== undefined) await t.then((x) => x.dispose()).catch(() => {});
  }
}
