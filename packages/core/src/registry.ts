/**
 * The one place algorithms are registered. Each algorithm's module exports a descriptor
 * (contract.ts, AlgorithmDescriptor); everything else is derived from this list: the names
 * (AlgorithmName), the factory every runtime uses, the run config's enum, default step sizes and
 * option schema (packages/protocol), which peers a browser peer links to (packages/peer), and the
 * benchmark labels (packages/bench). Adding an algorithm = one module + one line below.
 */
import type { AlgorithmDescriptor, AlgorithmOptions, Algorithm, MsgKind } from './contract';
import { ConfigError } from './errors';
import { RFAST_DESCRIPTOR, RFAST_NAIVE_DESCRIPTOR } from './rfast-descriptor';
import { ALLREDUCE_DESCRIPTOR } from './allreduce';
import { DPSGD_DESCRIPTOR } from './dpsgd';
import { ADPSGD_DESCRIPTOR } from './adpsgd';
import { OSGP_DESCRIPTOR, SGP_DESCRIPTOR } from './pushsum';
import { GOSSIP_DESCRIPTOR } from './gossip';
import { SOLO_DESCRIPTOR } from './solo';

const DESCRIPTORS = [
  RFAST_DESCRIPTOR,
  RFAST_NAIVE_DESCRIPTOR,
  ALLREDUCE_DESCRIPTOR,
  DPSGD_DESCRIPTOR,
  ADPSGD_DESCRIPTOR,
  SGP_DESCRIPTOR,
  OSGP_DESCRIPTOR,
  GOSSIP_DESCRIPTOR,
  SOLO_DESCRIPTOR,
] as const;

export type AlgorithmName = (typeof DESCRIPTORS)[number]['name'];

/** Every registered algorithm's name, in registration order. */
export const ALGORITHMS = DESCRIPTORS.map((d) => d.name) as readonly AlgorithmName[] as readonly [AlgorithmName, ...AlgorithmName[]];

const BY_NAME = new Map<string, AlgorithmDescriptor<AlgorithmName>>(DESCRIPTORS.map((d) => [d.name, d]));

export function isAlgorithmName(name: unknown): name is AlgorithmName {
  return typeof name === 'string' && BY_NAME.has(name);
}

/** The descriptor of a registered algorithm; ConfigError naming the known ones otherwise. */
export function algorithmDescriptor(name: string): AlgorithmDescriptor<AlgorithmName> {
  const d = BY_NAME.get(name);
  if (d === undefined) throw new ConfigError(`unknown algorithm '${name}'; expected one of ${ALGORITHMS.join(', ')}`);
  return d;
}

/** Every descriptor, in registration order. */
export function algorithmDescriptors(): readonly AlgorithmDescriptor<AlgorithmName>[] {
  return DESCRIPTORS;
}

/** One entry point for every runtime: the browser peer, the Node peer and the simulator. */
export function createAlgorithm(name: AlgorithmName, opts: AlgorithmOptions): Algorithm {
  if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new ConfigError(`lr must be a positive number, got ${opts.lr}`);
  return algorithmDescriptor(name).create(opts);
}

/** Message kinds claimed by more than one algorithm (a registry test keeps this empty). */
export function sharedKinds(): MsgKind[] {
  const owner = new Map<MsgKind, string>();
  const shared: MsgKind[] = [];
  for (const d of DESCRIPTORS) {
    const family = d.family ?? d.name;
    for (const k of d.kinds) {
      const o = owner.get(k);
      if (o !== undefined && o !== family) shared.push(k);
      owner.set(k, family);
    }
  }
  return shared;
}
