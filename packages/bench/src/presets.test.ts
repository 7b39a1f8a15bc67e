import { describe, expect, it } from 'vitest';
import { BENCH_ALGORITHMS } from './algorithms';
import { CNN, CNN_LR_GRID, comparisonPreset, HOME, LOOPBACK, SHARED_LR_GRID } from './presets';

describe('comparison presets', () => {
  it('home: every scenario on the home profile, every algorithm tuned on one log-spaced grid of at least 5 points', () => {
    expect(comparisonPreset('home')).toBe(HOME);
    expect(HOME.scenarios.length).toBeGreaterThanOrEqual(5);
    for (const s of HOME.scenarios) expect(s.profile).toBe('home');
    const tuning = HOME.tuning!;
    expect(tuning.scenario.profile).toBe('home');
    expect(tuning.budgetSteps).toBe(HOME.budgetSteps);
    expect(SHARED_LR_GRID.length).toBeGreaterThanOrEqual(5);
    const ratios = SHARED_LR_GRID.slice(1).map((lr, i) => lr / SHARED_LR_GRID[i]);
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0], 10);
    // solo, the floor, is tuned like everyone else; the f32-frame variant shares R-FAST's pick
    for (const a of BENCH_ALGORITHMS) {
      if (a === 'rfast-f32') expect(tuning.shareWith[a]).toBe('rfast');
      else expect(tuning.grid[a]).toEqual(SHARED_LR_GRID);
    }
  });

  it('loopback: the home preset\'s scenarios, budget and grid, on loopback links and tuned there', () => {
    expect(comparisonPreset('loopback')).toBe(LOOPBACK);
    expect(LOOPBACK.scenarios.map((s) => [s.split, s.straggle, s.loss, s.n])).toEqual(HOME.scenarios.map((s) => [s.split, s.straggle, s.loss, s.n]));
    for (const s of LOOPBACK.scenarios) expect(s.profile ?? 'loopback').toBe('loopback');
    expect(LOOPBACK.tuning!.scenario.profile ?? 'loopback').toBe('loopback');
    expect(LOOPBACK.tuning!.grid).toEqual(HOME.tuning!.grid);
    expect([LOOPBACK.budgetSteps, LOOPBACK.targets]).toEqual([HOME.budgetSteps, HOME.targets]);
  });

  it('cnn: the conv net, 4 peers with one straggler on both profiles, every algorithm tuned on one log-spaced 5-point grid', () => {
    expect(comparisonPreset('cnn')).toBe(CNN);
    expect(CNN.task).toBe('mnist-cnn');
    expect(CNN.scenarios.map((s) => [s.n, s.straggle, s.profile])).toEqual([[4, 'one-slow', 'home'], [4, 'one-slow', 'loopback']]);
    expect(CNN_LR_GRID.length).toBeGreaterThanOrEqual(5);
    const ratios = CNN_LR_GRID.slice(1).map((lr, i) => lr / CNN_LR_GRID[i]);
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0], 10);
    for (const a of BENCH_ALGORITHMS) {
      if (a === 'rfast-f32') expect(CNN.tuning!.shareWith[a]).toBe('rfast');
      else expect(CNN.tuning!.grid[a]).toEqual(CNN_LR_GRID);
    }
  });

  it('refuses an unknown preset by name', () => {
    expect(() => comparisonPreset('fast')).toThrow(/unknown preset 'fast'; expected quick or full or home or loopback or cnn/);
  });
});
