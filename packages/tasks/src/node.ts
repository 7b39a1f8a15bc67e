/** Node-only entry (`@starling/tasks/node`): the registry of built-in tasks, packing and loading data. */
export { BUILTIN_TASKS } from './registry';
export { builtinSummaries, builtinTask, dataCache, resolveBuiltinTask, resolveTask, TaskError } from './resolve';
export { defineTask, type DataSource, type ResolvedTask, type TaskData, type TaskDefinition } from './task';
export { ensurePackedSet, loadPackedSet, type Log, type PackedExpectation } from './packing';
export { ensurePacked, expectedCount, loadMnist, mnistDataDir, MNIST, packedPath, readIdxSplit, type PackedPaths, type Split } from './mnist/pack';
export { parseIdx, type IdxArray } from './mnist/idx';
