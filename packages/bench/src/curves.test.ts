import { describe, expect, it } from 'vitest';
import { formatRatio, jointTimeToTarget, memberTimesToTarget, timeRatio, timeToTarget, valueAt, type MemberSample } from './curves';
import { BenchError } from './errors';

describe('timeToTarget', () => {
  it('interpolates linearly between the last point below and the first at or above the target', () => {
    const t = [0, 1, 2, 3];
    const v = [0.1, 0.5, 0.9, 0.95];
    // Between (1, 0.5) and (2, 0.9): 0.8 is reached 3/4 of the way.
    expect(timeToTarget(t, v, 0.8)).toBeCloseTo(1.75, 12);
    expect(timeToTarget(t, v, 0.9)).toBe(2);
    expect(timeToTarget(t, v, 0.95)).toBe(3);
    expect(timeToTarget(t, v, 0.96)).toBeNull();
  });

  it('takes the first crossing, not a later one after a dip', () => {
    expect(timeToTarget([0, 1, 2, 3, 4], [0, 0.92, 0.85, 0.93, 0.99], 0.9)).toBeCloseTo(0.9 / 0.92, 12);
  });

  it('returns the first time when the curve starts above the target, and refuses a bad curve', () => {
    expect(timeToTarget([5, 6], [0.99, 0.5], 0.9)).toBe(5);
    expect(() => timeToTarget([0, 2, 1], [0, 0, 0], 0.5)).toThrow(BenchError);
    expect(() => timeToTarget([0, 1], [0], 0.5)).toThrow(BenchError);
  });

  it('does not interpolate from a failed (NaN) evaluation', () => {
    expect(timeToTarget([0, 1, 2], [0.1, Number.NaN, 0.95], 0.9)).toBe(2);
  });
});

describe('valueAt', () => {
  it('is the value of the last point at or before t, tolerating round-off in record times', () => {
    const t = [0, 0.1, 0.2, 0.30000000000000004];
    const v = [1, 2, 3, 4];
    expect(valueAt(t, v, 0.15)).toBe(2);
    expect(valueAt(t, v, 0.3)).toBe(4);
    expect(valueAt(t, v, 10)).toBe(4);
    expect(valueAt(t, v, -1)).toBeNaN();
  });
});

describe('timeRatio', () => {
  it('divides by the reference, and bounds the ratio when either side missed the target', () => {
    expect(timeRatio(3, 10, 2, 10)).toEqual({ value: 1.5, bound: 'exact' });
    // The algorithm ran 10 s without reaching it: at least 10 / 2.
    expect(timeRatio(null, 10, 2, 10)).toEqual({ value: 5, bound: 'atLeast' });
    // The reference ran 8 s without reaching it: the algorithm's 2 s is at most 2 / 8 of it.
    expect(timeRatio(2, 10, null, 8)).toEqual({ value: 0.25, bound: 'atMost' });
    expect(timeRatio(null, 10, null, 8)).toBeNull();
    expect(formatRatio(timeRatio(3, 10, 2, 10))).toBe('1.50x');
    expect(formatRatio(timeRatio(null, 10, 4, 10))).toBe('>= 2.50x');
    expect(formatRatio(timeRatio(2, 10, null, 8))).toBe('<= 0.25x');
    expect(formatRatio(null)).toBe('-');
  });
});

describe('jointTimeToTarget', () => {
  const s = (member: number, at: number, value: number): MemberSample => ({ member, at, value });

  it('is the first time every member latest sample is at the target, in time order whatever the input order', () => {
    const samples = [s(1, 5, 0.95), s(0, 1, 0.5), s(0, 3, 0.91), s(1, 2, 0.6)];
    expect(jointTimeToTarget(samples, 2, 0.9)).toBe(5);
  });

  it('waits for a member that dipped below the target to come back', () => {
    // member 0 reaches 0.9 at 1, dips at 4; member 1 reaches it at 5; member 0 is back at 7.
    const samples = [s(0, 1, 0.92), s(1, 2, 0.5), s(0, 4, 0.88), s(1, 5, 0.93), s(0, 7, 0.9)];
    expect(jointTimeToTarget(samples, 2, 0.9)).toBe(7);
    expect(memberTimesToTarget(samples, 2, 0.9)).toEqual([1, 5]);
  });

  it('is null when a member is never sampled, never gets there, or was scored NaN', () => {
    expect(jointTimeToTarget([s(0, 1, 0.95)], 2, 0.9)).toBeNull();
    expect(jointTimeToTarget([s(0, 1, 0.95), s(1, 1, 0.5)], 2, 0.9)).toBeNull();
    expect(jointTimeToTarget([s(0, 1, 0.95), s(1, 2, Number.NaN)], 2, 0.9)).toBeNull();
    expect(memberTimesToTarget([s(0, 1, 0.5)], 2, 0.9)).toEqual([null, null]);
  });

  it('refuses a sample of a member outside the count', () => {
    expect(() => jointTimeToTarget([s(2, 1, 0.9)], 2, 0.9)).toThrow(/member 2/);
    expect(() => memberTimesToTarget([s(-1, 1, 0.9)], 2, 0.9)).toThrow(/member -1/);
  });
});
