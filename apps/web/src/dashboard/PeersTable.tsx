import { DASH, formatCount, formatFixed, formatPercent, formatRelative } from './format';
import { linksText } from './links';
import { computeShare, isDeparted, meanMassInTransit, type PeerDisplayState, type PeersTableState } from './peers-table';
import { FLAG_TITLE } from './peer-flags';
import type { DashPeer } from './types';

/** The live peers table; departed peers stay listed, greyed, below the live ones. */

const STATE_TEXT: Record<PeerDisplayState, string> = { live: 'live', slow: 'slow', left: 'left', 'timed-out': 'timed out' };

function frames(p: DashPeer): string {
  const sent = p.framesSent === undefined ? DASH : formatCount(p.framesSent);
  return `${sent} / ${formatCount(p.framesLost)} / ${formatCount(p.framesRejected)}`;
}

function staleness(p: DashPeer): string {
  return typeof p.staleness === 'number' ? formatFixed(p.staleness, 1) : DASH;
}

function transit(x: number | null | undefined): string {
  return typeof x === 'number' ? formatPercent(x, 1) : DASH;
}

export function PeersTable({ table, now }: { table: PeersTableState; now: number }) {
  const runTransit = meanMassInTransit(table.rows);
  return (
    <section className="card dash-peers" aria-labelledby="peers-title">
      <h2 id="peers-title">Peers</h2>
      {runTransit !== null && (
        <p className="muted" data-testid="mass-in-transit" title="tracker mass pushed and not yet acknowledged by its receivers, as a share of the peers' gradients (mean over live peers)">
          Mass in transit: {transit(runTransit)}
        </p>
      )}
      <div className="table-scroll">
        <table className="dash-table" data-testid="dash-peers-table">
          <caption className="visually-hidden">Peers of the current run, live first</caption>
          <thead>
            <tr>
              <th scope="col">Peer</th>
              <th scope="col">State</th>
              <th scope="col">Backend</th>
              <th scope="col">Device</th>
              <th scope="col" className="num">Steps/s</th>
              <th scope="col" className="num">Samples</th>
              <th scope="col" className="num">Local loss</th>
              <th scope="col">Last seen</th>
              <th scope="col" className="num" title="frames sent / lost / rejected">Frames sent / lost / rej.</th>
              <th scope="col" className="num" title="version age / staleness, when the algorithm reports it">Staleness</th>
              <th scope="col" className="num" title="R-FAST: tracker mass pushed and not yet acknowledged, as a share of the peer's gradient">Mass in transit</th>
              <th scope="col" className="num" title="share of the peer's training time spent computing gradients">Compute share</th>
              <th scope="col" className="num" title="R-FAST: the share of its frames the peer sends per step (an eighth unless the run sets one), lowered by the adaptive budget while frames take its time from its gradients">Send share</th>
              <th scope="col" title="each open link: neighbour, route (host, srflx = through a NAT, relay = through TURN) and round-trip time">Links</th>
            </tr>
          </thead>
          <tbody>
            {table.rows.length === 0 && (
              <tr>
                <td colSpan={14} className="muted">
                  No peers yet. Volunteers join from the <a href="/">contribute page</a>.
                </td>
              </tr>
            )}
            {table.rows.map(({ peer: p, status }) => (
              <tr
                key={p.id}
                data-testid="peer-row"
                data-state={status}
                data-flags={(p.flags ?? []).map((f) => f.code).join(' ') || undefined}
                className={[isDeparted(status) ? 'departed' : '', (p.flags ?? []).length > 0 ? 'flagged' : ''].join(' ').trim() || undefined}
              >
                <th scope="row">{p.id}</th>
                <td>
                  <span className={`dot dot-${status}`} aria-hidden="true" /> {STATE_TEXT[status]}
                  {(p.flags ?? []).map((f) => (
                    <span key={f.code} className="flag" title={f.message}>
                      {' '}⚠ {FLAG_TITLE[f.code]}
                      {(f.count ?? 1) > 1 ? ` ×${f.count}` : ''}
                    </span>
                  ))}
                </td>
                <td>{p.backend}</td>
                <td className="device" title={p.device}>{p.device ?? DASH}</td>
                <td className="num">{formatFixed(p.stepsPerSec, 1)}</td>
                <td className="num">{formatCount(p.samples)}</td>
                <td className="num">{formatFixed(p.loss, 4)}</td>
                <td>{formatRelative(now - p.lastSeen)}</td>
                <td className="num">{frames(p)}</td>
                <td className="num">{staleness(p)}</td>
                <td className="num">{transit(p.massInTransit)}</td>
                <td className="num">{formatPercent(computeShare(p), 0)}</td>
                <td className="num">{formatPercent(p.sendShare, 0)}</td>
                <td className="links" data-testid="peer-links">{linksText(p.links)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
