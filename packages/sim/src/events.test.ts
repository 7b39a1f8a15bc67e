import { Rng } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { EventQueue } from './events';

describe('EventQueue', () => {
  it('pops by time, ties in insertion order, matching a stable sort', () => {
    const rng = new Rng(7);
    const q = new EventQueue<number>();
    const ref: { t: number; i: number }[] = [];
    // Few distinct times, so ties are common.
    for (let i = 0; i < 2000; i++) {
      const t = rng.int(50) / 10;
      q.push(t, i);
      ref.push({ t, i });
    }
    ref.sort((a, b) => a.t - b.t || a.i - b.i);
    const got: number[] = [];
    while (q.size > 0) got.push(q.pop() as number);
    expect(got).toEqual(ref.map((r) => r.i));
  });

  it('interleaves pushes and pops correctly', () => {
    const rng = new Rng(3);
    const q = new EventQueue<number>();
    let last = -Infinity;
    let now = 0;
    for (let i = 0; i < 5000; i++) {
      if (q.size > 0 && rng.next() < 0.5) {
        const t = q.peekTime();
        q.pop();
        expect(t).toBeGreaterThanOrEqual(last);
        last = now = t;
      } else {
        q.push(now + rng.next(), i);
      }
    }
    expect(q.pop()).toBeDefined();
  });

  it('rejects NaN times', () => {
    expect(() => new EventQueue<number>().push(Number.NaN, 1)).toThrow(RangeError);
  });
});
