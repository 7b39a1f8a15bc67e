import type { AlgorithmName, TopologyKind } from '@starling/core';

/**
 * Runtime lists of the names core knows as types. Protocol only imports core's *types*, so it
 * stays loadable in any runtime; the assertions below fail to compile if the lists drift.
 */
export const ALGORITHM_NAMES = [
  'rfast', 'rfast-naive', 'allreduce', 'dpsgd', 'adpsgd', 'sgp', 'osgp', 'gossip',
] as const satisfies readonly AlgorithmName[];

export const TOPOLOGY_KINDS = ['exponential', 'ring', 'kout', 'star', 'tree'] as const satisfies readonly TopologyKind[];

export const SHARD_MODES = ['iid', 'noniid'] as const;
export type ShardMode = (typeof SHARD_MODES)[number];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compile-time only: every core algorithm / topology name is listed. */
export type NamesMatchCore = [
  Assert<Same<(typeof ALGORITHM_NAMES)[number], AlgorithmName>>,
  Assert<Same<(typeof TOPOLOGY_KINDS)[number], TopologyKind>>,
];
