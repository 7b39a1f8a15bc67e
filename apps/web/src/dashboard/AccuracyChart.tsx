import { useMemo } from 'react';
import { accuracyChartOptions } from './chart-options';
import { evaluationColumns } from './evaluations';
import type { XMode } from './run-series';
import type { Evaluation } from './types';
import { UPlotChart } from './UPlotChart';

/** Test accuracy and test loss of the server's evaluations of peers' snapshots. */
export function AccuracyChart({ evaluations, xMode }: { evaluations: readonly Evaluation[]; xMode: XMode }) {
  const data = useMemo(() => evaluationColumns(evaluations, xMode), [evaluations, xMode]);
  const options = useMemo(() => accuracyChartOptions(xMode), [xMode]);
  return (
    <section className="card dash-chart-card" aria-labelledby="acc-chart-title">
      <h2 id="acc-chart-title">Test accuracy (server evaluation)</h2>
      {evaluations.length === 0 ? (
        <p className="muted dash-empty" data-testid="dash-accuracy-chart">
          No evaluation yet: the server evaluates peers' uploaded snapshots on the 10k test images.
        </p>
      ) : (
        <UPlotChart
          options={options}
          data={data}
          shapeKey={xMode}
          height={280}
          label={`test accuracy and loss of ${evaluations.length} evaluations`}
          testId="dash-accuracy-chart"
        />
      )}
      <p className="muted dash-caption">Solid: accuracy (left axis). Dashed: test loss (right axis). One point per evaluated snapshot.</p>
    </section>
  );
}
