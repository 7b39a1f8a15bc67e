import { describe, expect, it } from 'vitest';
import type { ComparisonResult } from './comparison';
import { medianOf, seedsReport, spread } from './report-seeds';
import type { RunOutcome } from './run-one';

function run(algorithm: 'rfast' | 'solo', seed: number, timeTo: (number | null)[], acc: number): RunOutcome {
  return {
    scenario: 'home-n8-iid-none-loss0', algorithm, lr: 0.4, seed, curve: { time: [], accuracy: [], loss: [] }, timeTo,
    atBudget: { accuracy: acc, accuracyFinal: acc, peerMean: acc, peerMin: acc, consensus: 0 }, horizon: 1, endReason: 'time', diverged: null,
    stepsPerPeer: 500, blockedFraction: 0, mbSentPerPeer: 4, lossRate: 0, skipRate: 0, retransmitsPerMessage: 0, ejections: [], wallSeconds: 1,
  };
}

function result(seed: number, rfast: (number | null)[], solo: (number | null)[], stepTime = 0.003): ComparisonResult {
  return {
    preset: 'home', seed, backend: 'wasm', timing: null, stepTime, sendBuffer: 0, budget: 1.5, targets: [0.85, 0.9], reference: 'rfast', evalCount: 100,
    finalEvalCount: 100, tuning: null, tuningBudget: null, lr: { rfast: 0.4, solo: 0.4 } as ComparisonResult['lr'],
    scenarios: [{ scenario: { profile: 'home', n: 8, split: 'iid', straggle: 'none', loss: 0 }, id: 'home-n8-iid-none-loss0', label: 'home: 8 peers', runs: [run('rfast', seed, rfast, 0.9), run('solo', seed, solo, 0.8 + seed / 100)] }],
    wallSeconds: 1,
  };
}

describe('seeds side by side', () => {
  it('takes medians and ranges over the seeds that reached a target, and says how many did', () => {
    expect(medianOf([3, 1, 2])).toBe(2);
    expect(medianOf([4, 1, 2, 3])).toBe(2.5);
    expect(spread([0.5, null, 0.3], (x) => x.toFixed(1))).toBe('0.4 [0.3-0.5] (2/3)');
    expect(spread([null, null], (x) => x.toFixed(1))).toBe('-');
    const md = seedsReport([result(1, [0.3, 0.6], [0.2, null]), result(2, [0.5, 0.8], [0.25, null]), result(3, [0.4, null], [0.3, null])], 'cmd');
    expect(md).toContain('over seeds 1, 2, 3');
    expect(md).toContain('(budget 1.50 virtual s, extended up to 3x for runs short of the top target)');
    expect(md).toContain('| R-FAST | 0.40 [0.30-0.50] | 0.70 [0.60-0.80] (2/3) | 90.0% [90.0%-90.0%] |');
    expect(md).toContain('| Solo (no communication) | 0.25 [0.20-0.30] | - | 82.0% [81.0%-83.0%] |');
  });

  it('says a preset whose runs stop at the budget was not extended', () => {
    const md = seedsReport([1, 2].map((s) => ({ ...result(s, [0.3, null], [0.2, null]), preset: 'cnn' })), 'cmd');
    expect(md).toContain('(budget 1.50 virtual s, not extended)');
    expect(md).not.toContain('extended up to');
  });

  it('refuses results that do not compare', () => {
    expect(() => seedsReport([], 'cmd')).toThrow(/no results/);
    expect(() => seedsReport([result(1, [1, 1], [1, 1]), result(2, [1, 1], [1, 1], 0.004)], 'cmd')).toThrow(/step times/);
    expect(() => seedsReport([result(1, [1, 1], [1, 1]), result(1, [1, 1], [1, 1])], 'cmd')).toThrow(/seed listed twice/);
  });
});
