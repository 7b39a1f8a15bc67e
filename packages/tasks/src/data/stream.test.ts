import { describe, expect, it } from 'vitest';
import { DATA_CONFIG, evalArrays, shardSet, WindowSampler, type DataSet } from '../index';

/** A stream whose token at position i is i mod 50: every window and target can be checked. */
function counting(n: number): DataSet {
  return { layout: 'stream', featureShape: [1], features: Uint8Array.from({ length: n }, (_, i) => i % 50), targets: null, count: n, classes: 50 };
}

describe('streams (a text)', () => {
  it('samples windows whose targets are the next tokens', () => {
    const s = new WindowSampler(counting(1000), { batchSize: 4, seed: 1, length: 8 });
    const x = new Float32Array(32);
    const y = new Int32Array(32);
    for (let k = 0; k < 5; k++) {
      s.next(x, y);
      for (let i = 0; i < 32; i++) expect(y[i]).toBe((x[i] + 1) % 50);
      for (let b = 0; b < 4; b++) for (let p = 1; p < 8; p++) expect(x[b * 8 + p]).toBe((x[b * 8] + p) % 50);
    }
    expect(() => new WindowSampler(counting(8), { batchSize: 1, seed: 1, length: 8 })).toThrow(/no window/);
  });

  it('cuts shards from whole segments: IID shuffled, non-IID contiguous; disjoint and complete', () => {
    const n = DATA_CONFIG.streamSegment * 6 + 10;
    const set = counting(n);
    for (const mode of ['iid', 'noniid'] as const) {
      const shards = shardSet(set, 3, { mode, seed: 4 });
      expect(shards.reduce((a, s) => a + s.count, 0)).toBe(n);
      for (const s of shards) expect(s.layout).toBe('stream');
    }
    const contiguous = shardSet(set, 3, { mode: 'noniid', seed: 4 });
    expect(Array.from(contiguous[1].features.subarray(0, 3))).toEqual([2 * DATA_CONFIG.streamSegment % 50, (2 * DATA_CONFIG.streamSegment + 1) % 50, (2 * DATA_CONFIG.streamSegment + 2) % 50]);
    expect(() => shardSet(set, 8, { mode: 'iid', seed: 1 })).toThrow(/shard count/);
  });

  it('evaluates on consecutive windows with next-token targets', () => {
    const e = evalArrays(counting(100), 1000, 10);
    expect(e.count).toBe(9); // (100 - 1) / 10 windows
    expect(e.inputs[10]).toBe(10);
    expect(e.targets[10]).toBe(11);
  });
});
