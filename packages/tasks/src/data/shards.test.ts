import { describe, expect, it } from 'vitest';
import { makeShards, type ShardOptions } from '../index';
import { balancedLabels, codeOf } from './testing';

const labels = balancedLabels(300); // 3000 examples, 300 per class


/** Asserts pairwise disjointness and ascending order; returns how many examples are covered. */
function coverage(shards: Uint32Array[], n: number): number {
  const seen = new Uint8Array(n);
  let covered = 0;
  for (const s of shards) {
    for (let k = 0; k < s.length; k++) {
      expect(s[k]).toBeLessThan(n);
      if (k > 0) expect(s[k]).toBeGreaterThan(s[k - 1]);
      expect(seen[s[k]]).toBe(0);
      seen[s[k]] = 1;
      covered++;
    }
  }
  return covered;
}

function classCounts(shard: Uint32Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (let k = 0; k < shard.length; k++) c[labels[shard[k]]]++;
  return c;
}

function same(a: Uint32Array[], b: Uint32Array[]): boolean {
  return a.length === b.length && a.every((s, i) => s.length === b[i].length && s.every((v, k) => v === b[i][k]));
}

describe('iid shards', () => {
  it('are disjoint, cover everything and differ in size by at most one', () => {
    for (const count of [1, 7, 10, 64]) {
      const shards = makeShards(labels, count, { mode: 'iid', seed: 5 });
      expect(shards).toHaveLength(count);
      expect(coverage(shards, labels.length)).toBe(labels.length);
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('mix the classes (each of 10 shards holds every class)', () => {
    for (const s of makeShards(labels, 10, { mode: 'iid', seed: 5 })) {
      expect(classCounts(s).every((c) => c > 0)).toBe(true);
    }
  });

  it('are a function of the seed', () => {
    const a = makeShards(labels, 8, { mode: 'iid', seed: 1 });
    expect(same(a, makeShards(labels, 8, { mode: 'iid', seed: 1 }))).toBe(true);
    expect(same(a, makeShards(labels, 8, { mode: 'iid', seed: 2 }))).toBe(false);
  });
});

describe('non-iid shards by classes per shard', () => {
  it('give every shard exactly k classes, disjoint and covering when count*k >= 10', () => {
    for (const [count, k] of [
      [10, 2],
      [5, 2],
      [7, 3],
      [20, 1],
      [4, 10],
    ]) {
      const shards = makeShards(labels, count, { mode: 'noniid', classesPerShard: k, seed: count * 10 + k });
      expect(coverage(shards, labels.length)).toBe(labels.length);
      for (const s of shards) expect(classCounts(s).filter((c) => c > 0)).toHaveLength(k);
    }
  });

  it('default to 2 classes and leave undealt classes out when count*k < 10', () => {
    const shards = makeShards(labels, 3, { mode: 'noniid', seed: 9 });
    const present = new Set<number>();
    for (const s of shards) {
      const counts = classCounts(s);
      expect(counts.filter((c) => c > 0)).toHaveLength(2);
      counts.forEach((c, cls) => c > 0 && present.add(cls));
    }
    expect(present.size).toBe(6);
    expect(coverage(shards, labels.length)).toBe(6 * 300);
  });

  it('are a function of the seed', () => {
    const o: ShardOptions = { mode: 'noniid', classesPerShard: 2, seed: 3 };
    expect(same(makeShards(labels, 10, o), makeShards(labels, 10, o))).toBe(true);
    expect(same(makeShards(labels, 10, o), makeShards(labels, 10, { ...o, seed: 4 }))).toBe(false);
  });

  it('refuse a class dealt to more shards than it has examples', () => {
    const tiny = new Uint8Array([0, 0, 1, 1]);
    expect(codeOf(() => makeShards(tiny, 4, { mode: 'noniid', classesPerShard: 2, seed: 1 }))).toBe('infeasible');
  });
});

describe('non-iid shards by Dirichlet proportions', () => {
  /** Mean over shards of the largest class's share: 0.1 for perfectly mixed shards, 1 for one class. */
  function skew(shards: Uint32Array[]): number {
    let sum = 0;
    for (const s of shards) sum += Math.max(...classCounts(s)) / s.length;
    return sum / shards.length;
  }

  it('are disjoint, cover everything and respect the minimum shard size', () => {
    for (const alpha of [0.05, 0.5, 10]) {
      const shards = makeShards(labels, 10, { mode: 'noniid', dirichletAlpha: alpha, seed: 11 });
      expect(coverage(shards, labels.length)).toBe(labels.length);
      for (const s of shards) expect(s.length).toBeGreaterThanOrEqual(10);
    }
  });

  it('get more skewed as alpha shrinks', () => {
    const at = (alpha: number) => skew(makeShards(labels, 10, { mode: 'noniid', dirichletAlpha: alpha, seed: 12 }));
    const s01 = at(0.1);
    const s1 = at(1);
    const s100 = at(100);
    expect(s01).toBeGreaterThan(s1);
    expect(s1).toBeGreaterThan(s100);
    expect(s100).toBeLessThan(0.2);
    expect(s01).toBeGreaterThan(0.5);
  });

  it('say how to fix an impossible minimum size', () => {
    expect(
      codeOf(() => makeShards(labels, 10, { mode: 'noniid', dirichletAlpha: 0.01, minShardSize: 300, seed: 1 })),
    ).toBe('infeasible');
  });
});

describe('options are validated', () => {
  const bad: [string, number, ShardOptions][] = [
    ['zero shards', 0, { mode: 'iid', seed: 1 }],
    ['more shards than examples', labels.length + 1, { mode: 'iid', seed: 1 }],
    ['fractional seed', 2, { mode: 'iid', seed: 1.5 }],
    ['iid with classes', 2, { mode: 'iid', classesPerShard: 2, seed: 1 }],
    ['both noniid options', 2, { mode: 'noniid', classesPerShard: 2, dirichletAlpha: 1, seed: 1 }],
    ['alpha 0', 2, { mode: 'noniid', dirichletAlpha: 0, seed: 1 }],
    ['alpha NaN', 2, { mode: 'noniid', dirichletAlpha: NaN, seed: 1 }],
    ['11 classes per shard', 2, { mode: 'noniid', classesPerShard: 11, seed: 1 }],
    ['0 classes per shard', 2, { mode: 'noniid', classesPerShard: 0, seed: 1 }],
    ['unknown mode', 2, { mode: 'round-robin' as 'iid', seed: 1 }],
  ];
  for (const [name, count, opts] of bad) {
    it(name, () => expect(codeOf(() => makeShards(labels, count, opts))).toBe('bad-option'));
  }
});
