import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerId } from './contract';
import { TopologyError } from './errors';
import { Rng } from './rng';
import {
  assertCommonRoot,
  buildTopology,
  commonRoots,
  neighbourTable,
  neighboursOf,
  topologyFromEdges,
  type Topology,
  type TopologyKind,
} from './topology';

const KINDS: TopologyKind[] = ['exponential', 'ring', 'kout', 'star', 'tree'];

/** Non-contiguous, shuffled ids, as after joins and leaves. */
function scatteredIds(n: number, seed: number): PeerId[] {
  const ids = Array.from({ length: n }, (_, i) => 3 * i + 1 + (i % 2));
  return new Rng(seed).sample(ids, n);
}

function edges(out: Map<PeerId, PeerId[]>): [PeerId, PeerId][] {
  return [...out].flatMap(([a, tos]) => tos.map((b) => [a, b] as [PeerId, PeerId]));
}

function outDegrees(out: Map<PeerId, PeerId[]>, members: PeerId[]): number[] {
  return members.map((m) => out.get(m)?.length ?? 0);
}

/** Self-loops, foreign ids, duplicates, and neighbour lists that disagree with the edge maps. */
function consistencyProblems(t: Topology): string[] {
  const problems: string[] = [];
  const member = new Set(t.members);
  for (const [a, b] of [...edges(t.rOut), ...edges(t.cOut)]) {
    if (a === b || !member.has(a) || !member.has(b)) problems.push(`bad edge ${a} -> ${b}`);
  }
  for (const out of [t.rOut, t.cOut]) {
    for (const [a, tos] of out) if (new Set(tos).size !== tos.length) problems.push(`duplicate out-edge of ${a}`);
  }
  let rInTotal = 0;
  for (const id of t.members) {
    const nb = neighboursOf(t, id);
    rInTotal += nb.rIn.length;
    if (nb.members.join() !== t.members.join()) problems.push(`members of ${id}`);
    for (const j of nb.rIn) if (!t.rOut.get(j)?.includes(id)) problems.push(`rIn ${j} of ${id} without edge`);
    for (const j of nb.cIn) if (!t.cOut.get(j)?.includes(id)) problems.push(`cIn ${j} of ${id} without edge`);
    const und = [...new Set([...nb.rIn, ...nb.rOut])].sort((a, b) => a - b);
    if (nb.undirected.join() !== und.join()) problems.push(`undirected of ${id}`);
  }
  if (rInTotal !== edges(t.rOut).length) problems.push('rIn lists miss edges');
  return problems;
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    return (e as Error).message;
  }
  throw new Error('expected a TopologyError, nothing was thrown');
}

describe('buildTopology', () => {
  for (const kind of KINDS) {
    it(`${kind}: valid and consistent for n = 1..40 with scattered ids`, () => {
      for (let n = 1; n <= 40; n++) {
        const ids = scatteredIds(n, n);
        const t = buildTopology(kind, ids);
        const sorted = ids.slice().sort((a, b) => a - b);
        expect(t.members).toEqual(sorted);
        expect(() => assertCommonRoot(t)).not.toThrow();
        expect(commonRoots(t)).toContain(sorted[0]); // star/tree root defaults to the smallest id
        expect(consistencyProblems(t)).toEqual([]);
        if (n === 1) expect(edges(t.rOut).length + edges(t.cOut).length).toBe(0);
      }
    });
  }

  it('exponential: i -> i + 2^m by position, the same graph for G_R and G_C', () => {
    for (const n of [2, 5, 8, 13]) {
      const ids = scatteredIds(n, 7).sort((a, b) => a - b);
      const t = buildTopology('exponential', ids);
      const hops = Math.floor(Math.log2(n - 1)) + 1;
      expect(outDegrees(t.rOut, ids)).toEqual(new Array<number>(n).fill(hops));
      for (let i = 0; i < n; i++) {
        for (let m = 0; 2 ** m <= n - 1; m++) expect(t.rOut.get(ids[i])).toContain(ids[(i + 2 ** m) % n]);
      }
      expect(t.cOut).toEqual(t.rOut);
      expect(commonRoots(t)).toEqual(ids); // strongly connected: everyone is a root
    }
  });

  it('ring: out-degree 1, strongly connected', () => {
    const t = buildTopology('ring', [9, 4, 7]);
    expect([...t.rOut]).toEqual([[4, [7]], [7, [9]], [9, [4]]]);
    expect(commonRoots(t)).toEqual([4, 7, 9]);
  });

  it('kout: ring plus k distinct chords per peer, reproducible per seed', () => {
    const ids = Array.from({ length: 20 }, (_, i) => i);
    const a = buildTopology('kout', ids, { k: 3, seed: 5 });
    expect(outDegrees(a.rOut, ids)).toEqual(new Array<number>(20).fill(4));
    for (const i of ids) expect(a.rOut.get(i)).toContain((i + 1) % 20);
    expect(buildTopology('kout', ids, { k: 3, seed: 5 })).toEqual(a);
    expect(buildTopology('kout', ids, { k: 3, seed: 6 }).rOut).not.toEqual(a.rOut);
    // k larger than the peers available is clipped, not an error
    expect(outDegrees(buildTopology('kout', [1, 2, 3], { k: 5 }).rOut, [1, 2, 3])).toEqual([2, 2, 2]);
  });

  it('star: G_R root -> all, G_C all -> root; only the root is a common root', () => {
    const t = buildTopology('star', [3, 8, 1, 6], { root: 6 });
    expect(t.rOut.get(6)).toEqual([1, 3, 8]);
    for (const leaf of [1, 3, 8]) {
      expect(t.rOut.get(leaf)).toEqual([]);
      expect(t.cOut.get(leaf)).toEqual([6]);
    }
    expect(t.cOut.get(6)).toEqual([]);
    expect(commonRoots(t)).toEqual([6]);
  });

  it('tree: two different spanning trees that share the root', () => {
    const ids = Array.from({ length: 10 }, (_, i) => 10 + i);
    const t = buildTopology('tree', ids, { root: 12, branching: 2 });
    expect(commonRoots(t)).toEqual([12]);
    for (const id of ids) {
      const nb = neighboursOf(t, id);
      expect(nb.rIn.length).toBe(id === 12 ? 0 : 1); // one parent on G_R
      expect(nb.cOut.length).toBe(id === 12 ? 0 : 1); // one parent on G_C
      expect(nb.rOut.length).toBeLessThanOrEqual(2);
    }
    const reversedC = edges(t.cOut).map(([a, b]) => `${b}->${a}`).sort();
    expect(edges(t.rOut).map(([a, b]) => `${a}->${b}`).sort()).not.toEqual(reversedC);
  });

  it('refuses bad options with a TopologyError', () => {
    expect(refusal(() => buildTopology('star', [1, 2], { root: 5 }))).toMatch(/root 5 is not a member/);
    expect(refusal(() => buildTopology('tree', [1, 2], { branching: 0 }))).toMatch(/branching/);
    expect(refusal(() => buildTopology('kout', [1, 2, 3], { k: -1 }))).toMatch(/k/);
    expect(refusal(() => buildTopology('ring', []))).toMatch(/at least one member/);
    expect(refusal(() => buildTopology('ring', [1, 2, 1]))).toMatch(/peer 1 is listed twice/);
    expect(refusal(() => buildTopology('ring', [1, -2]))).toMatch(/non-negative integers/);
    expect(refusal(() => buildTopology('grid' as TopologyKind, [1]))).toMatch(/unknown topology kind 'grid'/);
  });
});

describe('topologyFromEdges and the common-root check', () => {
  const ring = (ids: PeerId[]): [PeerId, PeerId][] => ids.map((id, i) => [id, ids[(i + 1) % ids.length]]);

  it('accepts a chain pulled from 0 and pushed back to 0', () => {
    const t = topologyFromEdges([0, 1, 2], [[0, 1], [1, 2]], [[2, 1], [1, 0]]);
    expect(t.kind).toBe('custom');
    expect(commonRoots(t)).toEqual([0]);
    expect(neighboursOf(t, 1)).toMatchObject({ rIn: [0], rOut: [2], cIn: [2], cOut: [0] });
  });

  it('finds the roots of a ring for G_R and a star into 2 for G_C', () => {
    const t = topologyFromEdges([0, 1, 2, 3], ring([0, 1, 2, 3]), [[0, 2], [1, 2], [3, 2]]);
    expect(commonRoots(t)).toEqual([2]);
  });

  it('refuses two disjoint rings and names the unreachable peers', () => {
    const e = [...ring([0, 1, 2]), ...ring([3, 4])];
    const msg = refusal(() => topologyFromEdges([0, 1, 2, 3, 4], e, e));
    expect(msg).toMatch(/no common root/);
    expect(msg).toMatch(/G_R has no root: even from peer 0, peers 3, 4 are unreachable/);
    expect(msg).toMatch(/G_C has no root: even to peer 0, peers 3, 4 cannot push/);
  });

  it('refuses a G_R star rooted at 0 with a G_C star rooted at 1', () => {
    const r: [PeerId, PeerId][] = [[0, 1], [0, 2], [0, 3]];
    const c: [PeerId, PeerId][] = [[0, 1], [2, 1], [3, 1]];
    const msg = refusal(() => topologyFromEdges([0, 1, 2, 3], r, c));
    expect(msg).toMatch(/G_R roots \[0\] and G_C roots \[1\] share no peer/);
    expect(msg).toMatch(/peers 1, 2, 3 cannot push mass to G_R root 0/);
  });

  it('names self-loops, unknown ids and duplicate edges', () => {
    const ok = ring([0, 1, 2]);
    expect(refusal(() => topologyFromEdges([0, 1, 2], [...ok, [1, 1]], ok))).toMatch(/G_R has a self-loop at 1/);
    expect(refusal(() => topologyFromEdges([0, 1, 2], ok, [...ok, [2, 9]]))).toMatch(/G_C edge 2 -> 9 names unknown peer 9/);
    expect(refusal(() => topologyFromEdges([0, 1, 2], [...ok, [7, 0]], ok))).toMatch(/G_R has out-edges of unknown peer 7/);
    expect(refusal(() => topologyFromEdges([0, 1, 2], [...ok, [0, 1]], ok))).toMatch(/G_R has the edge 0 -> 1 twice/);
  });

  it('checks hand-made Topology objects too', () => {
    const t: Topology = {
      kind: 'custom',
      members: [2, 1],
      rOut: new Map([[1, [2]], [2, [1]]]),
      cOut: new Map([[1, [2]], [2, [1]]]),
    };
    expect(refusal(() => assertCommonRoot(t))).toMatch(/members are not ascending/);
  });

  it('neighboursOf refuses a non-member', () => {
    expect(refusal(() => neighboursOf(buildTopology('ring', [1, 2]), 3))).toMatch(/peer 3 is not a member/);
  });
});

describe('commonRoots in linear time', () => {
  /** The definition, one search per member: what the linear-time version must agree with. */
  function rootsByDefinition(t: Topology): PeerId[] {
    const reachFrom = (out: ReadonlyMap<PeerId, readonly PeerId[]>, s: PeerId): Set<PeerId> => {
      const seen = new Set([s]);
      const stack = [s];
      while (stack.length > 0) for (const n of out.get(stack.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), stack.push(n));
      return seen;
    };
    const cIn = new Map<PeerId, PeerId[]>();
    for (const [a, tos] of t.cOut) for (const b of tos) cIn.set(b, [...(cIn.get(b) ?? []), a]);
    return t.members.filter((r) => {
      const viaR = reachFrom(t.rOut, r);
      const viaC = reachFrom(cIn, r);
      return t.members.every((m) => viaR.has(m) && viaC.has(m));
    });
  }

  it('agrees with the definition on random sparse graphs (with and without roots)', () => {
    const graph = fc.integer({ min: 2, max: 12 }).chain((n) => {
      // a -> a + 1 + k (mod n): never a self-loop, without a filter to spin on.
      const edge = fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 2 })).map(([a, k]): [number, number] => [a, (a + 1 + k) % n]);
      return fc.record({ n: fc.constant(n), r: fc.uniqueArray(edge, { maxLength: 3 * n, selector: ([a, b]) => `${a}>${b}` }), c: fc.uniqueArray(edge, { maxLength: 3 * n, selector: ([a, b]) => `${a}>${b}` }) });
    });
    fc.assert(
      fc.property(graph, ({ n, r, c }) => {
        // Scattered ids, as after joins and leaves.
        const id = (i: number) => 5 * i + 2;
        const members = Array.from({ length: n }, (_, i) => id(i));
        const out = (es: [number, number][]) => {
          const m = new Map<PeerId, PeerId[]>(members.map((x) => [x, []]));
          for (const [a, b] of es) m.get(id(a))!.push(id(b));
          return m;
        };
        const t: Topology = { kind: 'custom', members, rOut: out(r), cOut: out(c) };
        expect(commonRoots(t)).toEqual(rootsByDefinition(t));
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('finds the roots of every built-in graph of 300 peers', () => {
    const ids = scatteredIds(300, 5);
    for (const kind of KINDS) {
      const t = buildTopology(kind, ids, { seed: 3 });
      expect(commonRoots(t), kind).toEqual(rootsByDefinition(t));
    }
  });
});

describe('neighbourTable', () => {
  it('gives every member its in- and out-lists as the edge maps define them, for every built-in graph', () => {
    const ids = scatteredIds(37, 8);
    const asc = (a: readonly PeerId[]) => [...a].sort((x, y) => x - y);
    for (const kind of KINDS) {
      const t = buildTopology(kind, ids, { seed: 2 });
      const table = neighbourTable(t);
      expect([...table.keys()], kind).toEqual(t.members);
      for (const id of t.members) {
        // By definition: a scan of every member's out-lists.
        const rIn = t.members.filter((j) => t.rOut.get(j)?.includes(id));
        const cIn = t.members.filter((j) => t.cOut.get(j)?.includes(id));
        const rOut = asc(t.rOut.get(id) ?? []);
        expect(table.get(id), `${kind} peer ${id}`).toEqual({
          rIn, rOut, cIn, cOut: asc(t.cOut.get(id) ?? []), undirected: asc([...new Set([...rIn, ...rOut])]), members: t.members,
        });
      }
    }
  });
});
