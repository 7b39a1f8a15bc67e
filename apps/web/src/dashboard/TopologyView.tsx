import { useMemo } from 'react';
import type { PeerId } from '@starling/core';
import { DASHBOARD_CONFIG as C } from './config';
import { isDeparted, statusById, type PeerDisplayState, type PeersTableState } from './peers-table';
import { layoutTopology } from './topology';
import type { TopologyState } from './useDashboardData';

/** G_R (model pulls) and G_C (tracker pushes) of the current epoch, peers coloured by state. */

const SIZE = 360;
const STATE_LABEL: Record<PeerDisplayState, string> = { live: 'live', slow: 'slow', left: 'left', 'timed-out': 'timed out' };

export function TopologyView({ topology, table }: { topology: TopologyState; table: PeersTableState }) {
  const layout = useMemo(() => {
    const departed: PeerId[] = table.rows.filter((r) => isDeparted(r.status)).map((r) => r.peer.id);
    return layoutTopology({ members: topology.members, others: departed, edges: topology.edges, status: statusById(table), size: SIZE, maxNodes: C.topologyMaxNodes });
  }, [topology, table]);
  const nR = layout.edges.filter((e) => e.graph === 'R').length;
  const nC = layout.edges.length - nR;
  return (
    <section className="card dash-topology" aria-labelledby="topo-title">
      <div className="row">
        <h2 id="topo-title">Topology</h2>
        <span className="muted">epoch {topology.epoch} · {topology.members.length} members</span>
      </div>
      <svg
        viewBox={`0 0 ${SIZE} ${SIZE}`}
        className="topo-svg"
        role="img"
        aria-label={`topology of epoch ${topology.epoch}: ${topology.members.length} peers, ${nR} G_R edges, ${nC} G_C edges`}
        data-testid="dash-topology"
      >
        <defs>
          {(['R', 'C'] as const).map((g) => (
            <marker key={g} id={`arrow-${g}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className={`topo-arrow-${g}`} />
            </marker>
          ))}
        </defs>
        {layout.edges.map((e) => (
          <path key={`${e.graph}${e.from}-${e.to}`} d={e.d} className={`topo-edge topo-edge-${e.graph}`} markerEnd={`url(#arrow-${e.graph})`} />
        ))}
        {layout.nodes.map((n) => (
          <g key={n.id} className={`topo-node topo-${n.status}`}>
            <title>{`peer ${n.id}: ${STATE_LABEL[n.status]}`}</title>
            <circle cx={n.x} cy={n.y} r={layout.nodeRadius} />
            <text x={n.x} y={n.y} dy="0.35em" textAnchor="middle" fontSize={Math.max(8, layout.nodeRadius * 0.9)}>
              {n.id}
            </text>
          </g>
        ))}
        {layout.nodes.length === 0 && (
          <text x={SIZE / 2} y={SIZE / 2} textAnchor="middle" className="muted-text">
            no peers in this epoch
          </text>
        )}
      </svg>
      <ul className="topo-legend" aria-label="legend">
        <li><span className="swatch edge-R" /> G_R: model v (pulled by the arrow's target)</li>
        <li><span className="swatch edge-C" /> G_C: tracker mass ρ (pushed along the arrow)</li>
        {(Object.keys(STATE_LABEL) as PeerDisplayState[]).map((s) => (
          <li key={s}><span className={`dot dot-${s}`} /> {STATE_LABEL[s]}</li>
        ))}
      </ul>
    </section>
  );
}
