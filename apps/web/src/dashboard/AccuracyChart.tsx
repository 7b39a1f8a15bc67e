import { useMemo } from 'react';
import type { TaskMetric } from '@starling/protocol';
import { metricView } from './metric';
import { accuracyChartOptions } from './chart-options';
import { evaluationColumns } from './evaluations';
import type { XMode } from './run-series';
import type { Evaluation } from './types';
import { UPlotChart } from './UPlotChart';

/** The task's metric (accuracy, perplexity or MSE) and test loss of the server's evaluations of peers' snapshots. */
export function AccuracyChart({ evaluations, xMode, metric }: { evaluations: readonly Evaluation[]; xMode: XMode; metric: TaskMetric }) {
  const view = useMemo(() => metricView(metric), [metric]);
  const data = useMemo(() => evaluationColumns(evaluations, xMode, view), [evaluations, xMode, view]);
  const options = useMemo(() => accuracyChartOptions(xMode, view), [xMode, view]);
  return (
    <section className="card dash-chart-card" aria-labelledby="acc-chart-title">
      <h2 id="acc-chart-title" data-testid="dash-metric-title">{view.title} (server evaluation)</h2>
      {evaluations.length === 0 ? (
        <p className="muted dash-empty" data-testid="dash-accuracy-chart">
          No evaluation yet: the server evaluates peers' uploaded snapshots on the task's test set.
        </p>
      ) : (
        <UPlotChart
          options={options}
          data={data}
          shapeKey={`${xMode}:${metric}`}
          height={280}
          label={`${view.label} and test loss of ${evaluations.length} evaluations`}
          testId="dash-accuracy-chart"
        />
      )}
      <p className="muted dash-caption">Solid: {view.label} (left axis). Dashed: test loss (right axis). One point per evaluated snapshot.</p>
    </section>
  );
}
