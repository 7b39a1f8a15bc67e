import { ALGORITHMS, type TopologyKind } from '@starling/core';

/** Every registered algorithm (core's registry.ts is the one list). */
export const ALGORITHM_NAMES = ALGORITHMS;

/** Runtime list of core's topology kinds; the assertion below fails to compile if it drifts. */
export const TOPOLOGY_KINDS = ['exponential', 'ring', 'kout', 'star', 'tree'] as const satisfies readonly TopologyKind[];

export const SHARD_MODES = ['iid', 'noniid'] as const;
export type ShardMode = (typeof SHARD_MODES)[number];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compile-time only: every core topology kind is listed. */
export type NamesMatchCore = [Assert<Same<(typeof TOPOLOGY_KINDS)[number], TopologyKind>>];
