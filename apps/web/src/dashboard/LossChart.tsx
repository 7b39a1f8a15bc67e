import { useMemo, useState } from 'react';
import { lossChartOptions } from './chart-options';
import { DASHBOARD_CONFIG as C } from './config';
import type { RunSeries, XMode } from './run-series';
import { UPlotChart } from './UPlotChart';

/** Training loss: one faint line per peer, the run mean in bold, optional EMA smoothing. */

export interface LossChartProps {
  series: RunSeries;
  /** Bumped whenever `series` changed. */
  version: number;
  xMode: XMode;
}

export function LossChart({ series, version, xMode }: LossChartProps) {
  const [smooth, setSmooth] = useState(true);
  const [log, setLog] = useState(false);
  const view = useMemo(() => series.view(xMode, smooth ? C.emaBeta : null, C.chartMaxPoints), [series, version, xMode, smooth]);
  // Rebuild the chart only when its set of lines changes, not on every new point.
  const peerKey = view.peerIds.join(',');
  const shapeKey = `${xMode}|${log}|${peerKey}`;
  const options = useMemo(() => lossChartOptions(xMode, view.peerIds, log), [shapeKey]);
  return (
    <section className="card dash-chart-card" aria-labelledby="loss-chart-title">
      <div className="row">
        <h2 id="loss-chart-title">Training loss</h2>
        <div className="dash-toggles">
          <label>
            <input type="checkbox" checked={smooth} onChange={(e) => setSmooth(e.target.checked)} /> Smooth (EMA {C.emaBeta})
          </label>
          <label>
            <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> Log scale
          </label>
        </div>
      </div>
      {series.length === 0 ? (
        <p className="muted dash-empty" data-testid="dash-loss-chart">No training loss yet: it appears once volunteers start training.</p>
      ) : (
        <UPlotChart
          options={options}
          data={view.cols}
          shapeKey={shapeKey}
          height={280}
          label={`training loss of ${view.peerIds.length} peers and their mean`}
          testId="dash-loss-chart"
          className="loss-chart"
        />
      )}
      <p className="muted dash-caption">Bold: mean over live peers. Faint: each peer's own loss on its shard. Drag to zoom, double-click to reset.</p>
    </section>
  );
}
