import { describe, expect, it } from 'vitest';
import { buildTopology, neighboursOf } from '@starling/core';
import { linkTargets } from './link-targets';

describe('link targets', () => {
  const members = [0, 3, 5, 8, 9, 12, 20, 21];
  const t = buildTopology('exponential', members);

  it('graph algorithms link only to their graph neighbours', () => {
    for (const id of members) {
      const nb = neighboursOf(t, id);
      const want = new Set([...nb.rIn, ...nb.rOut, ...nb.cIn, ...nb.cOut, ...nb.undirected]);
      expect(linkTargets('rfast', id, nb)).toEqual(want);
      expect(linkTargets('rfast', id, nb).size).toBeLessThan(members.length - 1);
      expect(linkTargets('rfast', id, nb).has(id)).toBe(false);
    }
  });

  it('ring all-reduce, push-sum and gossip get every other member', () => {
    const nb = neighboursOf(t, 5);
    for (const algo of ['allreduce', 'sgp', 'osgp', 'gossip'] as const) {
      expect([...linkTargets(algo, 5, nb)].sort((a, b) => a - b)).toEqual(members.filter((m) => m !== 5));
    }
  });
});
