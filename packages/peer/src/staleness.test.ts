import { describe, expect, it } from 'vitest';
import { StalenessMeter } from './staleness';

describe('staleness meter', () => {
  it('averages, over the expected sources, the steps since each one was last heard', () => {
    const m = new StalenessMeter();
    m.heard(1, 10);
    m.heard(2, 4);
    m.heard(1, 12);
    expect(m.mean([1, 2], 15)).toBe(((15 - 12) + (15 - 4)) / 2);
    expect(m.mean([1, 2, 3], 15)).toBe(((15 - 12) + (15 - 4) + 15) / 3); // 3 never heard
    expect(m.mean([], 15)).toBeNull();
  });

  it('forgets peers that left', () => {
    const m = new StalenessMeter();
    m.heard(1, 10);
    m.heard(2, 10);
    m.retain(new Set([2]));
    expect(m.mean([1], 10)).toBe(10);
    expect(m.mean([2], 10)).toBe(0);
  });
});
