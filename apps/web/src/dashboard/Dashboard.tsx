import { useEffect, useState } from 'react';
import { AccuracyChart } from './AccuracyChart';
import { DASHBOARD_CONFIG as C } from './config';
import { hasCheckpoint, latestEvaluation, trustedEvaluations } from './evaluations';
import { LossChart } from './LossChart';
import { PeersTable } from './PeersTable';
import { PeerWarnings } from './PeerWarnings';
import { AdminNote, RunControls } from './RunControls';
import { RunHeader } from './RunHeader';
import { RejectedSnapshots } from './RejectedSnapshots';
import { RunHistory } from './RunHistory';
import { ServerHealth } from './ServerHealth';
import { SamplesPanel } from './SamplesPanel';
import type { XMode } from './run-series';
import { forgetAdminToken, loadAdminToken } from './token';
import { TopologyView } from './TopologyView';
import type { NewRunRequest, RunStatePayload } from './types';
import { useDashboardData } from './useDashboardData';
import './dashboard.css';

/** The run owner's and spectators' view of a Starling run (route /dashboard). */
export function Dashboard() {
  const [token, setToken] = useState<string | null>(() => loadAdminToken(window));
  const d = useDashboardData(token);
  const [xMode, setXMode] = useState<XMode>('time');
  const now = useServerClock(d.serverNow);

  const adminCall = async <T,>(what: string, call: () => Promise<T>, then?: (v: T) => void): Promise<boolean> => {
    try {
      const v = await call();
      then?.(v);
      d.setError(null);
      return true;
    } catch (e) {
      d.report(what, e);
      return false;
    }
  };
  const applyState = (update: Partial<RunStatePayload>) =>
    adminCall('Could not change the run state', () => d.api.setRunState(update), (s) => d.setRunState(s));
  const startRun = (req: NewRunRequest) =>
    adminCall('Could not start a new run', () => d.api.startRun(req), () => void d.reload());

  return (
    <main className="page dash-page">
      <header className="row dash-top">
        <div>
          <h1>Starling dashboard</h1>
          <p className="lede">Live view of the volunteer training swarm.</p>
        </div>
        <div className="dash-top-right">
          <span className={`badge ${d.connection.connected ? 'badge-running' : 'badge-interrupted'}`} role="status">
            {d.connection.connected ? 'live' : (d.connection.reason ?? 'offline')}
          </span>
          <a href="/">Contribute this tab →</a>
        </div>
      </header>

      {d.error && (
        <div className="card error dash-error" role="alert" data-testid="dash-error">
          <span>{d.error}</span>
          <button type="button" className="link-button" onClick={() => d.setError(null)} aria-label="dismiss error">
            Dismiss
          </button>
        </div>
      )}

      <PeerWarnings table={d.table} />

      <div className="dash-grid-overview">
        <div className="dash-overview-main">
          <RunHeader
            run={d.run}
            runState={d.runState}
            table={d.table}
            epoch={d.topology.epoch}
            totalSamples={Math.max(d.series.latestSamples(), sumSamples(d.table.rows))}
            latest={latestEvaluation(d.evaluations)}
            now={now}
          />
          {token ? (
            <RunControls
              api={d.api}
              run={d.run}
              runState={d.runState}
              modelUrls={d.run ? d.api.modelUrls(d.run.runId) : null}
              hasCheckpoint={hasCheckpoint(d.evaluations)}
              onPause={(paused) => applyState({ paused })}
              onLossRate={(lossRate) => applyState({ lossRate })}
              onStartRun={startRun}
              onForgetToken={() => {
                forgetAdminToken(window);
                setToken(null);
              }}
            />
          ) : (
            <AdminNote />
          )}
        </div>
        <TopologyView topology={d.topology} table={d.table} />
      </div>

      <div className="dash-toolbar" role="group" aria-label="x axis of the charts">
        <span>x axis:</span>
        {(['time', 'samples'] as const).map((m) => (
          <button key={m} type="button" aria-pressed={xMode === m} className={xMode === m ? 'toggle on' : 'toggle'} onClick={() => setXMode(m)}>
            {m === 'time' ? 'wall-clock time' : 'total samples'}
          </button>
        ))}
      </div>
      <div className="dash-grid-2">
        <LossChart series={d.series} version={d.seriesVersion} xMode={xMode} />
        <AccuracyChart evaluations={trustedEvaluations(d.evaluations)} xMode={xMode} metric={d.run?.task?.metric ?? 'accuracy'} />
      </div>
      <SamplesPanel api={d.api} runId={d.run?.runId ?? null} latest={latestEvaluation(d.evaluations)} />
      <PeersTable table={d.table} now={now} />
      <RejectedSnapshots evaluations={d.evaluations} now={now} />
      <ServerHealth health={d.health} />
      <RunHistory runs={d.runs} api={d.api} currentRunId={d.run?.runId ?? null} onError={d.report} />
    </main>
  );
}

function sumSamples(rows: readonly { peer: { samples: number } }[]): number {
  let s = 0;
  for (const r of rows) if (Number.isFinite(r.peer.samples)) s += r.peer.samples;
  return s;
}

/** The server's clock, ticking once a second so relative times stay fresh between updates. */
function useServerClock(serverNow: () => number): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const t = setInterval(() => setNow(serverNow()), C.clockTickMs);
    return () => clearInterval(t);
  }, [serverNow]);
  return now;
}
