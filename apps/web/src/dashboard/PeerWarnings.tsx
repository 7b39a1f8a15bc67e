import { FLAG_TITLE, peerWarnings } from './peer-flags';
import type { PeersTableState } from './peers-table';

/** A warning above the charts for every flagged peer (a diverged model, ...); nothing when none. */
export function PeerWarnings({ table }: { table: PeersTableState }) {
  const warnings = peerWarnings(table.rows);
  if (warnings.length === 0) return null;
  return (
    <section className="card warning dash-warnings" role="alert" data-testid="peer-warnings" aria-label="peer warnings">
      <strong>{warnings.length === 1 ? 'A peer needs attention' : `${warnings.length} peer warnings`}</strong>
      <ul>
        {warnings.map((w) => (
          <li key={`${w.peerId}-${w.code}`} data-testid="peer-warning" data-peer={w.peerId} data-code={w.code}>
            Peer {w.peerId}{w.departed ? ' (gone)' : ''}: {FLAG_TITLE[w.code]}: {w.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
