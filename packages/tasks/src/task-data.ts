/**
 * A task's data as its model reads it: the sampler for training batches and the arrays for
 * evaluation, chosen by the data layout and the model spec (browser-safe; peers and the server
 * both use it).
 */
import type { TaskInfo } from '@starling/protocol';
import { createSampler, evalArrays, type BatchSampler, type EvalArrays } from './data/batches';
import { DataError } from './data/errors';
import type { DataSet } from './data/set';

/** Tokens per window for a stream task (the model's sequence length); undefined otherwise. */
export function windowLength(info: Pick<TaskInfo, 'model'>): number | undefined {
  return info.model.kind === 'rnn' ? info.model.length : undefined;
}

/** Checks that a downloaded set is the task's kind of data before a model sees it. */
export function checkTaskSet(info: Pick<TaskInfo, 'model' | 'data'>, set: DataSet): void {
  if (set.layout !== info.data.layout) {
    throw new DataError('unexpected-set', `task ${info.model.kind} expects ${info.data.layout} data, got a ${set.layout} set`);
  }
}

export function taskSampler(info: Pick<TaskInfo, 'model' | 'data'>, set: DataSet, batchSize: number, seed: number): BatchSampler {
  checkTaskSet(info, set);
  return createSampler(set, { batchSize, seed, length: windowLength(info) });
}

/** The first `maxCount` evaluation examples (windows of a stream) of `set`. */
export function taskEvalArrays(info: Pick<TaskInfo, 'model' | 'data'>, set: DataSet, maxCount: number): EvalArrays {
  checkTaskSet(info, set);
  return evalArrays(set, maxCount, windowLength(info));
}
