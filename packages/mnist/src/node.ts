/** Node-only entry (`@starling/mnist/node`): reading the IDX files and the packed files on disk. */
export { ensurePacked, loadPacked, readIdxSplit, mnistDataDir, packedPath, expectedCount } from './pack';
export type { Split, PackedPaths, EnsureOptions } from './pack';
export { parseIdx } from './idx';
export type { IdxArray } from './idx';
