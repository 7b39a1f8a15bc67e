/** Browser-safe public face. Node-only packing lives in `@starling/mnist/node`. */
export { MNIST_CONFIG } from './config';
export { MnistError } from './errors';
export type { MnistErrorCode } from './errors';
export { subset, pixelsPerImage } from './set';
export type { MnistSet } from './set';
export { encodeSet, decodeSet, readSetHeader, encodedSize, SET_MAGIC, SET_VERSION, SET_HEADER_BYTES } from './format';
export type { ShardRef, SetHeader, DecodedSet, SetExpectation } from './format';
export { makeShards } from './shards';
export type { ShardOptions } from './shards';
export { ShardSampler, copyExamples } from './batches';
export type { SamplerOptions, LabelBuffer } from './batches';
