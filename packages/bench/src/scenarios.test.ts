import { describe, expect, it } from 'vitest';
import { BENCH_CONFIG } from './config';
import { BenchError } from './errors';
import { computeModel, expandGrid, networkModel, oneAtATime, scenarioId, scenarioLabel, type Scenario } from './scenarios';

const BASE: Scenario = { n: 8, split: 'iid', straggle: 'none', loss: 0 };

describe('scenario expansion', () => {
  it('expands a grid into its product, every scenario once', () => {
    const list = expandGrid({ n: [8, 16], split: ['iid', 'noniid'], straggle: ['none', 'one-slow', 'quarter-slow', 'pauses'], loss: [0, 0.1, 0.3] });
    expect(list).toHaveLength(2 * 2 * 4 * 3);
    expect(new Set(list.map(scenarioId)).size).toBe(list.length);
    expect(list[0]).toEqual(BASE);
    expect(list[1]).toEqual({ ...BASE, loss: 0.1 });
  });

  it('varies one factor at a time around the base, dropping repeats of the base', () => {
    const list = oneAtATime(BASE, { split: ['noniid'], loss: [0, 0.1, 0.3], n: [16] });
    expect(list.map(scenarioId)).toEqual(['n8-iid-none-loss0', 'n16-iid-none-loss0', 'n8-noniid-none-loss0', 'n8-iid-none-loss10', 'n8-iid-none-loss30']);
    for (const s of list.slice(1)) {
      const changed = (Object.keys(BASE) as (keyof Scenario)[]).filter((k) => s[k] !== BASE[k]);
      expect(changed).toHaveLength(1);
    }
  });

  it('refuses impossible scenarios', () => {
    expect(() => expandGrid({ n: [1], split: ['iid'], straggle: ['none'], loss: [0] })).toThrow(BenchError);
    expect(() => oneAtATime(BASE, { loss: [1] })).toThrow(BenchError);
  });

  it('labels scenarios for people', () => {
    expect(scenarioLabel({ n: 16, split: 'noniid', straggle: 'one-slow', loss: 0.3 })).toBe(`16 peers, non-IID, one peer ${BENCH_CONFIG.oneSlowFactor}x slower, 30% loss`);
  });
});

describe('scenario models', () => {
  it('slows one peer, or a quarter of them, or adds pauses, around the calibrated step time', () => {
    expect(computeModel(BASE, 0.004)).toEqual({ stepTime: 0.004, jitter: BENCH_CONFIG.computeJitter });
    expect(computeModel({ ...BASE, straggle: 'one-slow' }, 0.004).slow).toEqual([{ peer: 0, factor: BENCH_CONFIG.oneSlowFactor }]);
    const quarter = computeModel({ ...BASE, n: 16, straggle: 'quarter-slow' }, 0.004).slow ?? [];
    expect(quarter.map((s) => s.peer)).toEqual([0, 1, 2, 3]);
    expect(quarter.every((s) => s.factor === BENCH_CONFIG.quarterSlowFactor)).toBe(true);
    expect(computeModel({ ...BASE, straggle: 'pauses' }, 0.004).pauseProbability).toBe(BENCH_CONFIG.pauseProbability);
  });

  it('injects the scenario loss on top of the shared link model', () => {
    expect(networkModel({ ...BASE, loss: 0.3 })).toEqual({ ...BENCH_CONFIG.network, loss: 0.3 });
  });
});
