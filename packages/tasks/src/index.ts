/**
 * Browser-safe public face: the data set format, shards, samplers and a task's data as its model
 * reads it. The registry of built-in tasks and everything that reads files is in
 * `@starling/tasks/node`.
 */
export { DATA_CONFIG } from './data/config';
export { DataError, type DataErrorCode } from './data/errors';
export { classLabels, featureSize, sliceStream, subset, type DataSet } from './data/set';
export {
  decodeSet,
  encodedSize,
  encodeSet,
  readSetHeader,
  SET_HEADER_BYTES,
  SET_MAGIC,
  SET_VERSION,
  type DecodedSet,
  type SetExpectation,
  type SetHeader,
  type ShardRef,
} from './data/format';
export { makeShards, shardSet, type ShardOptions } from './data/shards';
export {
  copyExamples,
  createSampler,
  evalArrays,
  ExampleSampler,
  WindowSampler,
  type BatchSampler,
  type EvalArrays,
  type SamplerOptions,
  type TargetBuffer,
} from './data/batches';
export { checkTaskSet, taskEvalArrays, taskSampler, windowLength } from './task-data';
