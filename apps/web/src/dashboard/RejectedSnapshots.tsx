import { DASH, formatCount, formatFixed, formatPercent, formatRelative } from './format';
import { rejectedEvaluations } from './evaluations';
import type { Evaluation } from './types';

/** The newest rejected snapshots shown. */
const SHOWN = 20;

/**
 * Snapshots the server refused to make the run's checkpoint, with the reason: a poisoned or broken
 * model (garbage values, a scaled layer, a NaN loss) shows up here with its peer, not in the charts.
 */
export function RejectedSnapshots({ evaluations, now }: { evaluations: readonly Evaluation[]; now: number }) {
  const rejected = rejectedEvaluations(evaluations);
  if (rejected.length === 0) return null;
  return (
    <section className="card dash-rejected" aria-labelledby="rejected-title" data-testid="dash-rejected-snapshots">
      <h2 id="rejected-title">Rejected snapshots ({rejected.length})</h2>
      <p className="muted">Never used as the run's checkpoint, for joiners or for download; their peers are flagged.</p>
      <div className="table-scroll">
        <table className="dash-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" className="num">Peer</th>
              <th scope="col" className="num">Step</th>
              <th scope="col" className="num">Accuracy</th>
              <th scope="col" className="num">Loss</th>
              <th scope="col" className="num">Norm</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rejected.slice(0, SHOWN).map((e) => (
              <tr key={`${e.t}:${e.peerId}`} data-testid="rejected-snapshot" data-peer={e.peerId}>
                <td>{formatRelative(now - e.t)}</td>
                <td className="num">{e.peerId}</td>
                <td className="num">{formatCount(e.snapshotSteps)}</td>
                <td className="num">{e.accuracy === null ? DASH : formatPercent(e.accuracy, 1)}</td>
                <td className="num">{e.loss === null ? 'not finite' : formatFixed(e.loss, 4)}</td>
                <td className="num">{e.paramNorm === null ? DASH : e.paramNorm.toPrecision(3)}</td>
                <td className="wrap">{e.reason ?? DASH}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
