import { describe, expect, it } from 'vitest';
import { FirstCrossings, type Snapshot } from './first-crossings';

/** A "model" whose score is its first entry, taken at `at` ms. */
const snap = (at: number, score: number): Snapshot => ({ at, params: Float32Array.of(score) });

describe('FirstCrossings', () => {
  it('finds each tab\'s first copy at a target within the round where its newest copy got there', async () => {
    const scored: number[] = [];
    const score = async (p: Float32Array): Promise<number> => {
      scored.push(p[0]);
      return p[0];
    };
    const c = new FirstCrossings([0.9, 0.92], 2, 1000);
    await c.add(0, [snap(2000, 0.5), snap(3000, 0.7)], score);
    expect(scored).toHaveLength(1); // below every target: only the newest is scored
    expect(scored[0]).toBeCloseTo(0.7);
    await c.add(0, [snap(4000, 0.85), snap(5000, 0.91), snap(6000, 0.89), snap(7000, 0.93)], score);
    expect(c.perTab['90'][0]).toBe(4); // 5000 ms, 4 s after t0; not the newest's 6 s
    expect(c.perTab['92'][0]).toBe(6);
    expect(c.latest[0]).toBeCloseTo(0.93);
    expect(c.every(0.9)).toBeNull(); // tab 1 has not got there
    expect(c.done()).toBe(false);
    await c.add(1, [snap(8000, 0.95)], score);
    expect(c.every(0.9)).toBe(7); // the last tab to get there sets the run's time
    expect(c.every(0.92)).toBe(7);
    expect(c.done()).toBe(true);
  });

  it('counts a tab once (a later dip does not move it) and ignores a round without copies', async () => {
    const score = async (p: Float32Array): Promise<number> => p[0];
    const c = new FirstCrossings([0.9], 1, 0);
    await c.add(0, [], score);
    expect(Number.isNaN(c.latest[0])).toBe(true);
    await c.add(0, [snap(1000, 0.95)], score);
    await c.add(0, [snap(2000, 0.5)], score);
    await c.add(0, [snap(3000, 0.96)], score);
    expect(c.every(0.9)).toBe(1);
    expect(c.latest[0]).toBeCloseTo(0.96);
  });
});
