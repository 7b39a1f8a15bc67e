import { describe, expect, it } from 'vitest';
import { DASH, formatAge, formatCount, formatPercent, formatRelative } from './format';

describe('formatRelative', () => {
  it('reads naturally across the ranges', () => {
    const s = 1000;
    const cases: [number, string][] = [
      [0, 'just now'],
      [1.5 * s, 'just now'],
      [-5 * s, 'just now'],
      [12 * s, '12 s ago'],
      [59.9 * s, '59 s ago'],
      [60 * s, '1 min ago'],
      [(59 * 60 + 59) * s, '59 min ago'],
      [3600 * s, '1 h ago'],
      [47 * 3600 * s, '47 h ago'],
      [72 * 3600 * s, '3 d ago'],
    ];
    for (const [ms, text] of cases) expect(formatRelative(ms), `${ms} ms`).toBe(text);
    expect(formatRelative(Number.NaN)).toBe(DASH);
  });
});

describe('number formats', () => {
  it('formats percentages, ages and counts, with a dash for missing values', () => {
    expect(formatPercent(0.91234)).toBe('91.2%');
    expect(formatPercent(null)).toBe(DASH);
    expect(formatAge(4_000)).toBe('4.0 s');
    expect(formatAge(90_000)).toBe('2 min');
    expect(formatAge(-1)).toBe(DASH);
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12_345_678)).toBe('12.3M');
    expect(formatCount(undefined)).toBe(DASH);
  });
});
