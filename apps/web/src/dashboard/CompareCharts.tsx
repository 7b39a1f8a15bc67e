import { useMemo } from 'react';
import { comparisonOptions } from './chart-options';
import { DASHBOARD_CONFIG as C } from './config';
import { comparisonColumns, type RunCurves } from './evaluations';
import { UPlotChart } from './UPlotChart';

/** Selected runs overlaid against samples: evaluated accuracy and mean training loss. */
export function CompareCharts({ runs }: { runs: readonly RunCurves[] }) {
  const ids = runs.map((r) => r.runId);
  const key = ids.join(',');
  const acc = useMemo(() => comparisonColumns(runs, 'accuracy', C.chartMaxPoints), [runs]);
  const loss = useMemo(() => comparisonColumns(runs, 'loss', C.chartMaxPoints), [runs]);
  const accOptions = useMemo(() => comparisonOptions(ids, 'accuracy'), [key]);
  const lossOptions = useMemo(() => comparisonOptions(ids, 'loss'), [key]);
  return (
    <div className="dash-compare" data-testid="dash-compare">
      <div>
        <h3>Test accuracy vs samples</h3>
        {acc.x.length === 0 ? (
          <p className="muted">No evaluations in {runs.length > 1 ? 'these runs' : 'this run'}.</p>
        ) : (
          <UPlotChart options={accOptions} data={acc} shapeKey={`acc|${key}`} height={220} label={`test accuracy of runs ${key}`} />
        )}
      </div>
      <div>
        <h3>Mean training loss vs samples</h3>
        {loss.x.length === 0 ? (
          <p className="muted">No loss recorded.</p>
        ) : (
          <UPlotChart options={lossOptions} data={loss} shapeKey={`loss|${key}`} height={220} label={`mean training loss of runs ${key}`} />
        )}
      </div>
    </div>
  );
}
