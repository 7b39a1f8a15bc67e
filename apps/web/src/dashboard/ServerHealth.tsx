import { formatDuration } from '../contribute/format';
import { formatCount } from './format';
import { limitLines, refusalRows } from './server-health';
import type { HealthResponse } from './types';

/** The server's own state: is it up, how big is it, and what has it refused (GET /api/health). */
export function ServerHealth({ health }: { health: HealthResponse | null }) {
  if (!health) return null;
  const rows = refusalRows(health.counters);
  return (
    <section className="card dash-health" aria-labelledby="health-title" data-testid="dash-server-health">
      <h2 id="health-title">Server health</h2>
      <p className="muted">
        Up {formatDuration(health.uptimeMs)} · {(health.memory.rssBytes / 2 ** 20).toFixed(0)} MiB resident · {health.livePeers} live peers ·{' '}
        {health.trackedAddresses} client addresses tracked
      </p>
      {rows.length === 0 ? (
        <p className="muted">Nothing refused so far.</p>
      ) : (
        <table className="dash-table" data-testid="dash-refusals">
          <caption className="visually-hidden">What the server refused or cut off, most first</caption>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-key={r.key}>
                <td>{r.label}</td>
                <td className="num">{formatCount(r.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary>Per-client limits in effect</summary>
        <ul>
          {limitLines(health).map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      </details>
    </section>
  );
}
