import type { BackendAttempt, BackendName, SelectBackendOptions } from '@starling/training';
import type { TrainingRequest } from './compute';

/**
 * What the page and its training worker say to each other (worker-compute.ts on the page,
 * compute-worker.ts in the worker). Both ends are this app's own code from the same build, so the
 * messages are typed, not validated; the data inside came through the runtime's own checks.
 */
export type ComputeRequest =
  | { t: 'check'; id: number; order: BackendName[]; options?: SelectBackendOptions }
  | { t: 'create'; id: number; req: TrainingRequest }
  /** x and out are transferred; both come back with the answer. */
  | { t: 'gradient'; id: number; x: Float32Array; out: Float32Array }
  | { t: 'accuracy'; id: number; x: Float32Array; n: number }
  | { t: 'dispose'; id: number };

export type ComputeReply =
  | { t: 'done'; id: number; value: unknown }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'progress'; loaded: number; total: number | null }
  | { t: 'trial'; backend: BackendName | null };

/** An error as it crosses: enough to rebuild the typed error the runtime reports. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  detail?: string;
  attempts?: BackendAttempt[];
}

export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const x = e as Error & { code?: unknown; detail?: unknown; attempts?: unknown };
  return {
    name: e.name,
    message: e.message,
    code: typeof x.code === 'string' ? x.code : undefined,
    detail: typeof x.detail === 'string' ? x.detail : undefined,
    attempts: Array.isArray(x.attempts) ? (x.attempts as BackendAttempt[]) : undefined,
  };
}
