import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNING } from './config';
import { parseRunConfig } from '@starling/protocol';
import { runSendShare, SendBudget, type SendBudgetTuning } from './send-budget';
import type { StepCounters } from './step-loop';

const TUNING: SendBudgetTuning = { computeShareTarget: 0.8, band: 0.05, windowMs: 1000, minSteps: 1, minShare: 1 / 32, shrink: 0.5, grow: 2 };

/** Counters after `ms` more training time of which `share` went to gradients. */
function advance(c: StepCounters, ms: number, share: number): StepCounters {
  return { ...c, steps: c.steps + 1, trainingMs: c.trainingMs + ms, computeMs: c.computeMs + share * ms };
}

const ZERO: StepCounters = { steps: 0, discardedSteps: 0, lastLoss: null, computeMs: 0, commMs: 0, blockedMs: 0, pacedMs: 0, trainingMs: 0 };

/** Feeds one window of `share` in steps of 100 ms; returns the counters after it. */
function window(b: SendBudget, c: StepCounters, share: number): StepCounters {
  let n = c;
  for (let i = 0; i < 10; i++) {
    n = advance(n, 100, share);
    b.update(n);
  }
  return n;
}

describe('SendBudget', () => {
  it('shrinks by its factor per window while gradients get less than the target, down to minShare', () => {
    const b = new SendBudget(TUNING);
    let c = ZERO;
    b.update(c); // the first call only takes the baseline
    expect(b.current).toBe(1);
    const seen: number[] = [];
    for (let w = 0; w < 8; w++) {
      c = window(b, c, 0.5);
      seen.push(b.current);
    }
    expect(seen).toEqual([0.5, 0.25, 0.125, 0.0625, 1 / 32, 1 / 32, 1 / 32, 1 / 32]);
  });

  it('grows back above target + band, up to the run\'s own share, and holds inside the band', () => {
    const b = new SendBudget(TUNING, 0.5);
    let c = ZERO;
    b.update(c);
    for (let w = 0; w < 3; w++) c = window(b, c, 0.6);
    expect(b.current).toBe(0.0625);
    c = window(b, c, 0.82); // inside [target, target + band]: stays
    expect(b.current).toBe(0.0625);
    c = window(b, c, 0.78); // just below the target: shrinks
    expect(b.current).toBe(1 / 32);
    for (let w = 0; w < 6; w++) c = window(b, c, 0.95);
    expect(b.current).toBe(0.5); // never above the run's share
  });

  it('reports a change only when a window closes and moves the share', () => {
    const b = new SendBudget(TUNING);
    let c = ZERO;
    expect(b.update(c)).toBeNull();
    c = advance(c, 600, 0.1);
    expect(b.update(c)).toBeNull(); // the window is not over
    c = advance(c, 600, 0.1);
    expect(b.update(c)).toBe(0.5);
    c = advance(c, 1000, 0.99);
    expect(b.update(c)).toBe(1);
    c = advance(c, 1000, 0.99);
    expect(b.update(c)).toBeNull(); // at its ceiling
  });

  it('closes a window only once it holds minSteps steps as well as windowMs', () => {
    const b = new SendBudget({ ...TUNING, minSteps: 4 });
    let c = ZERO;
    b.update(c);
    // Slow steps: each alone is longer than the window, and gets less than the target.
    for (let i = 0; i < 3; i++) {
      c = advance(c, 2000, 0.5);
      expect(b.update(c)).toBeNull();
    }
    c = advance(c, 2000, 0.99);
    // The fourth step closes it: (3 x 0.5 + 0.99) / 4 of the time went to gradients.
    expect(b.update(c)).toBe(0.5);
    expect(b.current).toBe(0.5);
  });

  it('starts a new window when the counters go back (a fresh run\'s counters), and does nothing when off', () => {
    const b = new SendBudget(TUNING);
    let c = advance(ZERO, 5000, 1);
    b.update(c);
    c = advance(ZERO, 1000, 0); // smaller than before: not a window of negative length
    expect(b.update(c)).toBeNull();
    expect(b.current).toBe(1);
    const off = new SendBudget({ ...TUNING, computeShareTarget: 0 });
    let d = ZERO;
    for (let w = 0; w < 3; w++) d = window(off, d, 0.1);
    expect(off.current).toBe(1);
  });

  it('is on in the runtime by default, below a whole share, and its other defaults make a budget that moves and keeps a floor', () => {
    const t = DEFAULT_TUNING.sendBudget;
    expect(t.computeShareTarget).toBeGreaterThan(0);
    expect(t.computeShareTarget).toBeLessThan(1);
    expect(t.minSteps).toBeGreaterThanOrEqual(1);
    expect(t.minShare).toBeGreaterThan(0);
    expect(t.shrink).toBeLessThan(1);
    expect(t.grow).toBeGreaterThan(1);
  });
});

describe('runSendShare', () => {
  it('gives a slot algorithm the runtime default unless the run sets its own, and the others none', () => {
    const rfast = parseRunConfig({ algorithm: 'rfast' });
    expect(runSendShare(rfast, 0.125)).toBe(0.125);
    expect(runSendShare(parseRunConfig({ algorithm: 'rfast', algorithmOptions: { sendShare: 1 } }), 0.125)).toBe(1);
    expect(runSendShare(parseRunConfig({ algorithm: 'rfast', algorithmOptions: { sendShare: 0.5 } }), 0.125)).toBe(0.5);
    for (const algorithm of ['solo', 'dpsgd', 'adpsgd', 'allreduce', 'gossip'] as const) expect(runSendShare(parseRunConfig({ algorithm }), 0.125)).toBeUndefined();
  });

  it('defaults in the runtime to a share R-FAST accepts, below every slot', () => {
    expect(DEFAULT_TUNING.defaultSendShare).toBeGreaterThan(0);
    expect(DEFAULT_TUNING.defaultSendShare).toBeLessThan(1);
  });
});
