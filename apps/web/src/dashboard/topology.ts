import type { PeerId } from '@starling/core';
import type { PeerDisplayState } from './peers-table';
import type { TopologyEdges } from './types';

/**
 * Geometry of the topology drawing: peers evenly on a circle (ascending id, clockwise from the
 * top), each directed edge a quadratic curve bent to its right. G_C edges bend twice as far as G_R
 * ones, so an edge present in both graphs (exponential topology uses one graph for both) shows as
 * two distinct arcs, and i->j never covers j->i.
 */

export type Graph = 'R' | 'C';

export interface TopoNode {
  id: PeerId;
  x: number;
  y: number;
  status: PeerDisplayState;
}

export interface TopoEdge {
  from: PeerId;
  to: PeerId;
  graph: Graph;
  /** SVG path data, trimmed so the arrowhead stops at the target's rim. */
  d: string;
}

export interface TopoLayout {
  nodes: TopoNode[];
  edges: TopoEdge[];
  nodeRadius: number;
}

export interface TopoInput {
  members: readonly PeerId[];
  /** Other peers to draw (departed ones), after the members, up to `maxNodes` in all. */
  others: readonly PeerId[];
  edges: TopologyEdges | null;
  status: ReadonlyMap<PeerId, PeerDisplayState>;
  size: number;
  maxNodes: number;
}

const BEND: Record<Graph, number> = { R: 0.12, C: 0.24 };

export function layoutTopology(input: TopoInput): TopoLayout {
  const memberSet = new Set(input.members);
  const ids = [...memberSet, ...input.others.filter((id) => !memberSet.has(id))].slice(0, input.maxNodes).sort((a, b) => a - b);
  const n = ids.length;
  const c = input.size / 2;
  const nodeRadius = Math.max(7, Math.min(16, (Math.PI * input.size * 0.8) / Math.max(n, 1) / 2.6));
  const ring = c - nodeRadius - 4;
  const pos = new Map<PeerId, { x: number; y: number }>();
  const nodes = ids.map((id, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    const p = n === 1 ? { x: c, y: c } : { x: c + ring * Math.cos(a), y: c + ring * Math.sin(a) };
    pos.set(id, p);
    const fallback: PeerDisplayState = memberSet.has(id) ? 'live' : 'left';
    return { id, ...p, status: input.status.get(id) ?? fallback };
  });
  const edges: TopoEdge[] = [];
  if (input.edges) {
    for (const graph of ['R', 'C'] as const) {
      const out = graph === 'R' ? input.edges.rOut : input.edges.cOut;
      for (const [key, targets] of Object.entries(out ?? {})) {
        const from = Number(key);
        const a = pos.get(from);
        if (!a || !Array.isArray(targets)) continue;
        for (const to of targets) {
          const b = pos.get(to);
          if (b && to !== from) edges.push({ from, to, graph, d: curve(a, b, BEND[graph], nodeRadius) });
        }
      }
    }
  }
  return { nodes, edges, nodeRadius };
}

type Pt = { x: number; y: number };

function curve(a: Pt, b: Pt, bend: number, r: number): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  // Right-hand normal of the direction a -> b (SVG y grows downwards).
  const ctrl = { x: (a.x + b.x) / 2 - (dy / len) * bend * len, y: (a.y + b.y) / 2 + (dx / len) * bend * len };
  const start = towards(a, ctrl, r);
  const end = towards(b, ctrl, r + 2);
  return `M${f(start.x)},${f(start.y)} Q${f(ctrl.x)},${f(ctrl.y)} ${f(end.x)},${f(end.y)}`;
}

function towards(p: Pt, q: Pt, dist: number): Pt {
  const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
  return { x: p.x + ((q.x - p.x) / len) * dist, y: p.y + ((q.y - p.y) / len) * dist };
}

const f = (v: number) => v.toFixed(1);
