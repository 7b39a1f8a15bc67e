import { describe, expect, it } from 'vitest';
import { pickFastestStep, pickStepSize } from './comparison';
import { fanoutFor, harmonic, steadyAges } from './gossip-scaling';
import type { SimRecord } from '@starling/sim';

describe('pickStepSize', () => {
  it('picks the best accuracy, the smaller step on a tie, never a diverged run', () => {
    expect(pickStepSize([{ lr: 0.1, accuracy: 0.8, diverged: false }, { lr: 0.3, accuracy: 0.85, diverged: false }, { lr: 0.6, accuracy: Number.NaN, diverged: true }])).toBe(0.3);
    expect(pickStepSize([{ lr: 0.3, accuracy: 0.85, diverged: false }, { lr: 0.1, accuracy: 0.85, diverged: false }])).toBe(0.1);
    expect(pickStepSize([{ lr: 0.6, accuracy: 0.99, diverged: true }, { lr: 0.2, accuracy: 0.5, diverged: false }])).toBe(0.2);
    // Nothing usable: the smallest step is the safest guess.
    expect(pickStepSize([{ lr: 0.6, accuracy: Number.NaN, diverged: true }, { lr: 0.2, accuracy: Number.NaN, diverged: true }])).toBe(0.2);
  });
});

describe('pickFastestStep', () => {
  it('picks the smallest median time, a missed target counting as slower than any time', () => {
    expect(pickFastestStep([
      { lr: 0.2, seconds: [9, 10, 11], accuracy: [0.93, 0.93, 0.93] },
      { lr: 0.4, seconds: [7, 8, 30], accuracy: [0.93, 0.92, 0.93] },
      { lr: 0.8, seconds: [5, null, null], accuracy: [0.94, 0.5, 0.1] },
    ])).toBe(0.4);
    // Two seeds of three missing is a median of "never", even when the third was the fastest.
    expect(pickFastestStep([{ lr: 0.8, seconds: [1, null, null], accuracy: [0.95, 0.9, 0.9] }, { lr: 0.1, seconds: [50, 60, null], accuracy: [0.9, 0.9, 0.9] }])).toBe(0.1);
  });

  it('breaks ties by final accuracy, then by the smaller step', () => {
    expect(pickFastestStep([{ lr: 0.4, seconds: [8], accuracy: [0.93] }, { lr: 0.2, seconds: [8], accuracy: [0.94] }])).toBe(0.2);
    expect(pickFastestStep([{ lr: 0.4, seconds: [8], accuracy: [0.95] }, { lr: 0.2, seconds: [8], accuracy: [0.94] }])).toBe(0.4);
    expect(pickFastestStep([{ lr: 0.4, seconds: [8], accuracy: [0.94] }, { lr: 0.2, seconds: [8], accuracy: [0.94] }])).toBe(0.2);
    expect(pickFastestStep([{ lr: 0.4, seconds: [8], accuracy: [Number.NaN] }, { lr: 0.8, seconds: [8], accuracy: [0.9] }])).toBe(0.8);
  });

  it('returns null when no step size reached the target', () => {
    expect(pickFastestStep([{ lr: 0.4, seconds: [null], accuracy: [0.5] }, { lr: 0.8, seconds: [null, null], accuracy: [0.1, 0.2] }])).toBeNull();
    expect(pickFastestStep([])).toBeNull();
  });
});

describe('gossip scaling helpers', () => {
  it('computes fanouts as core does and the harmonic prediction', () => {
    expect(fanoutFor({ label: 'c1', fanoutC: 1 }, 1024)).toBe(Math.ceil(Math.log(1024)));
    expect(fanoutFor({ label: 'c2', fanoutC: 2 }, 4)).toBe(3); // ceil(2 ln 4) = 3 = n - 1
    expect(fanoutFor({ label: 'f1', fanout: 1 }, 4096)).toBe(1);
    expect(harmonic(1)).toBe(1);
    expect(harmonic(3)).toBeCloseTo(1 + 1 / 2 + 1 / 3, 12);
  });

  it('averages ages over the records after the warm-up only', () => {
    const rec = (time: number, mean: number, p95: number, max: number) => ({ time, versionAge: { mean, p95, max } }) as SimRecord;
    const r = steadyAges([rec(0, 100, 100, 100), rec(1, 2, 4, 6), rec(2, 4, 6, 9)], 1);
    expect(r).toEqual({ mean: 3, p95: 5, max: 9 });
    expect(() => steadyAges([rec(0, 1, 1, 1)], 5)).toThrow();
  });
});
