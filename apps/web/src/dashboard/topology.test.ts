import { describe, expect, it } from 'vitest';
import { layoutTopology } from './topology';

describe('layoutTopology', () => {
  const ring = { rOut: { '0': [1], '1': [2], '2': [0] }, cOut: { '0': [2], '1': [0], '2': [1] } };

  it('puts peers on a circle and draws every edge of both graphs between drawn peers', () => {
    const size = 300;
    const l = layoutTopology({ members: [2, 0, 1], others: [7], edges: ring, status: new Map([[7, 'left']]), size, maxNodes: 10 });
    expect(l.nodes.map((n) => n.id)).toEqual([0, 1, 2, 7]);
    const radii = l.nodes.map((n) => Math.hypot(n.x - size / 2, n.y - size / 2));
    for (const r of radii) expect(r).toBeCloseTo(radii[0], 6);
    expect(l.nodes.find((n) => n.id === 7)?.status).toBe('left');
    expect(l.nodes.find((n) => n.id === 0)?.status).toBe('live');
    const edges = l.edges.map((e) => `${e.graph}:${e.from}->${e.to}`).sort();
    expect(edges).toEqual(['C:0->2', 'C:1->0', 'C:2->1', 'R:0->1', 'R:1->2', 'R:2->0']);
  });

  it('draws an edge in both graphs as two different arcs and skips unknown peers and self-loops', () => {
    const same = { rOut: { '0': [1, 0, 42] }, cOut: { '0': [1] } };
    const l = layoutTopology({ members: [0, 1], others: [], edges: same, status: new Map(), size: 200, maxNodes: 10 });
    expect(l.edges.length).toBe(2);
    expect(l.edges[0].d).not.toBe(l.edges[1].d);
  });

  it('draws at most maxNodes peers, members first', () => {
    const l = layoutTopology({ members: [5, 6], others: [1, 2, 3], edges: null, status: new Map(), size: 200, maxNodes: 3 });
    expect(l.nodes.map((n) => n.id)).toEqual([1, 5, 6]);
  });
});
