/** Typed errors of the training package; messages say what is wrong and what to do about it. */
import type { BackendAttempt } from './backend';

/** No requested TF.js backend could be initialised and verified. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    message: string,
    /** One line per backend tried, in order. */
    readonly attempts: readonly BackendAttempt[],
  ) {
    super(message);
  }
}

/** A model spec that cannot be built (empty/non-integer layer sizes, unknown kind). */
export class ModelSpecError extends Error {
  override readonly name = 'ModelSpecError';
}

/** A bad call into the trainer: wrong vector length, bad batch, labels out of range, NaN/Inf. */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
}
