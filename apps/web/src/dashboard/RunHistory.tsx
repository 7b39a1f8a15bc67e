import { useEffect, useState } from 'react';
import type { ApiClient } from './api';
import { DASHBOARD_CONFIG as C } from './config';
import { CompareCharts } from './CompareCharts';
import type { RunCurves } from './evaluations';
import { formatClock, formatCount, formatFixed, formatPercent } from './format';
import { formatDuration } from '../contribute/format';
import type { RunSummary } from './types';

/** Past and current runs with their final figures; pick two to overlay their curves. */

const MAX_COMPARED = 2;

export interface RunHistoryProps {
  runs: readonly RunSummary[];
  api: ApiClient;
  currentRunId: string | null;
  onError: (what: string, e: unknown) => void;
}

export function RunHistory({ runs, api, currentRunId, onError }: RunHistoryProps) {
  const [selected, setSelected] = useState<string[]>([]);
  const [curves, setCurves] = useState<Record<string, RunCurves>>({});

  const toggle = (runId: string) =>
    setSelected((cur) => (cur.includes(runId) ? cur.filter((r) => r !== runId) : [...cur, runId].slice(-MAX_COMPARED)));

  useEffect(() => {
    let cancelled = false;
    for (const runId of selected) {
      const summary = runs.find((r) => r.runId === runId);
      // Finished runs never change: fetch once. The running one is re-fetched on each selection.
      if (curves[runId] && summary?.status !== 'running') continue;
      Promise.all([api.metrics(runId, C.historyMaxPoints), api.evaluations(runId)]).then(
        ([metrics, evaluations]) => {
          if (!cancelled) setCurves((c) => ({ ...c, [runId]: { runId, metrics, evaluations } }));
        },
        (e: unknown) => {
          if (!cancelled) onError(`Could not load run ${runId} for comparison`, e);
        },
      );
    }
    return () => {
      cancelled = true;
    };
    // Only a change of selection fetches; `curves` and `runs` are read as they are then.
  }, [selected, api]);

  const compared = selected.map((id) => curves[id]).filter((c): c is RunCurves => c !== undefined);
  return (
    <section className="card dash-history" aria-labelledby="runs-title">
      <div className="row">
        <h2 id="runs-title">Runs</h2>
        <span className="muted">tick two runs to compare their curves</span>
      </div>
      <div className="table-scroll">
        <table className="dash-table" data-testid="dash-runs-list">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Compare</span>
              </th>
              <th scope="col">Run</th>
              <th scope="col">Algorithm · topology · lr / batch</th>
              <th scope="col">Status</th>
              <th scope="col">Started (duration)</th>
              <th scope="col" className="num">Samples</th>
              <th scope="col" className="num">Peak peers</th>
              <th scope="col" className="num">Final acc.</th>
              <th scope="col" className="num">Best acc.</th>
              <th scope="col" className="num">Final loss</th>
            </tr>
          </thead>
          <tbody>
            {runs.length === 0 && (
              <tr>
                <td colSpan={10} className="muted">No runs recorded yet.</td>
              </tr>
            )}
            {runs.map((r) => (
              <tr key={r.runId} data-testid="run-row" className={r.runId === currentRunId ? 'current' : undefined}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`compare run ${r.runId}`}
                    checked={selected.includes(r.runId)}
                    onChange={() => toggle(r.runId)}
                  />
                </td>
                <th scope="row" className="wrap">
                  <code>{r.runId}</code>
                  {r.runId === currentRunId ? <span className="muted"> (current)</span> : null}
                </th>
                <td className="wrap">
                  {r.config.algorithm} · {r.config.topology.kind} <span className="muted">· {r.config.lr} / {r.config.batchSize}</span>
                </td>
                <td>
                  <span className={`badge badge-${r.status}`}>{r.status}</span>
                </td>
                <td>
                  {formatClock(r.startedAt)}
                  {r.endedAt !== null ? <span className="muted"> ({formatDuration(r.endedAt - r.startedAt)})</span> : null}
                </td>
                <td className="num">{formatCount(r.totalSamples)}</td>
                <td className="num">{formatCount(r.peakPeers)}</td>
                <td className="num">{formatPercent(r.finalAccuracy, 2)}</td>
                <td className="num">{formatPercent(r.bestAccuracy, 2)}</td>
                <td className="num">{formatFixed(r.finalLoss, 4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {compared.length > 0 && <CompareCharts runs={compared} />}
    </section>
  );
}
