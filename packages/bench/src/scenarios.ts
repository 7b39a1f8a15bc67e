/**
 * Scenarios of the comparison: peers, data split, stragglers and injected loss, and how each maps
 * onto the simulator's compute and network models.
 */
import type { ComputeModel, NetworkConfig } from '@starling/sim';
import { LINK_PROFILES, type LinkProfileName } from '@starling/transport';
import { BENCH_CONFIG } from './config';
import { BenchError } from './errors';

export type Split = 'iid' | 'noniid';
export type Straggle = 'none' | 'one-slow' | 'quarter-slow' | 'pauses';

export const SPLITS: readonly Split[] = ['iid', 'noniid'];
export const STRAGGLES: readonly Straggle[] = ['none', 'one-slow', 'quarter-slow', 'pauses'];

export interface Scenario {
  /** Link profile (packages/transport): 'loopback' when absent. */
  profile?: LinkProfileName;
  n: number;
  split: Split;
  straggle: Straggle;
  /** Injected loss per message (attempt), in [0, 1). */
  loss: number;
}

/** Values per factor; a scenario list is their product or one-at-a-time variations of a base. */
export interface ScenarioGrid {
  n: readonly number[];
  split: readonly Split[];
  straggle: readonly Straggle[];
  loss: readonly number[];
}

export function checkScenario(s: Scenario): void {
  if (!Number.isInteger(s.n) || s.n < 2) throw new BenchError(`scenario n must be an integer >= 2, got ${s.n}`);
  if (!SPLITS.includes(s.split)) throw new BenchError(`scenario split must be one of ${SPLITS.join(', ')}, got ${String(s.split)}`);
  if (!STRAGGLES.includes(s.straggle)) {
    throw new BenchError(`scenario straggle must be one of ${STRAGGLES.join(', ')}, got ${String(s.straggle)}`);
  }
  if (!(s.loss >= 0 && s.loss < 1)) throw new BenchError(`scenario loss must be in [0, 1), got ${s.loss}`);
}

/** Short stable id, used in file names: n8-iid-none-loss0, home-n8-iid-none-loss0. */
export function scenarioId(s: Scenario): string {
  const p = s.profile === undefined || s.profile === 'loopback' ? '' : `${s.profile}-`;
  return `${p}n${s.n}-${s.split}-${s.straggle}-loss${Math.round(s.loss * 100)}`;
}

const STRAGGLE_LABEL: Record<Straggle, string> = {
  none: 'no stragglers',
  'one-slow': `one peer ${BENCH_CONFIG.oneSlowFactor}x slower`,
  'quarter-slow': `a quarter of the peers ${BENCH_CONFIG.quarterSlowFactor}x slower`,
  pauses: 'random pauses',
};

/** Human-readable: "8 peers, IID, no stragglers, 0% loss" ("home: ..." on the home profile). */
export function scenarioLabel(s: Scenario): string {
  return `${s.profile === 'home' ? 'home: ' : ''}${s.n} peers, ${s.split === 'iid' ? 'IID' : 'non-IID'}, ${STRAGGLE_LABEL[s.straggle]}, ${Math.round(s.loss * 100)}% loss`;
}

/** Every combination, in grid order (n slowest, loss fastest). */
export function expandGrid(grid: ScenarioGrid): Scenario[] {
  const out: Scenario[] = [];
  for (const n of grid.n) {
    for (const split of grid.split) {
      for (const straggle of grid.straggle) {
        for (const loss of grid.loss) out.push({ n, split, straggle, loss });
      }
    }
  }
  for (const s of out) checkScenario(s);
  return dedupe(out);
}

/** The base scenario, then the base with one factor changed at a time (duplicates removed). */
export function oneAtATime(base: Scenario, vary: Partial<ScenarioGrid>): Scenario[] {
  const out: Scenario[] = [base];
  for (const n of vary.n ?? []) out.push({ ...base, n });
  for (const split of vary.split ?? []) out.push({ ...base, split });
  for (const straggle of vary.straggle ?? []) out.push({ ...base, straggle });
  for (const loss of vary.loss ?? []) out.push({ ...base, loss });
  for (const s of out) checkScenario(s);
  return dedupe(out);
}

function dedupe(list: Scenario[]): Scenario[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const id = scenarioId(s);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The simulator's compute model for this scenario around a calibrated step time (seconds). */
export function computeModel(s: Scenario, stepTime: number): Partial<ComputeModel> {
  const base: Partial<ComputeModel> = { stepTime, jitter: BENCH_CONFIG.computeJitter };
  switch (s.straggle) {
    case 'none':
      return base;
    case 'one-slow':
      return { ...base, slow: [{ peer: 0, factor: BENCH_CONFIG.oneSlowFactor }] };
    case 'quarter-slow': {
      const count = Math.max(1, Math.floor(s.n / 4));
      return { ...base, slow: Array.from({ length: count }, (_, peer) => ({ peer, factor: BENCH_CONFIG.quarterSlowFactor })) };
    }
    case 'pauses':
      return { ...base, pauseProbability: BENCH_CONFIG.pauseProbability, pauseDuration: BENCH_CONFIG.pauseDuration };
  }
}

/**
 * Links of this scenario, with its injected loss. loopback: the measured per-link model (40 MB/s
 * per link, 5 ms). home: each peer's uplink (2.5 MB/s shared by its links, 20 ms one way: the same
 * Uplink code the peer runtime shapes with), then links with no further limit and 2 ms of jitter.
 */
export function networkModel(s: Scenario, sendBuffer: number = BENCH_CONFIG.network.sendBuffer): NetworkConfig {
  if (s.profile === 'home') {
    const home = LINK_PROFILES.home;
    return { latency: 0, jitter: BENCH_CONFIG.network.jitter, bandwidth: Infinity, duplicate: 0, sendBuffer, loss: s.loss, uplink: { bytesPerSec: home.uplinkBytesPerSec, latencyMs: home.latencyMs } };
  }
  return { ...BENCH_CONFIG.network, sendBuffer, loss: s.loss };
}
