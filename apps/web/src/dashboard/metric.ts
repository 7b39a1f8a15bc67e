import type { TaskMetric } from '@starling/protocol';
import { formatPercent } from './format';
import type { Evaluation } from './types';

/**
 * How the dashboard shows a task's metric: accuracy (a share, higher is better), perplexity per
 * character of a language model (exp of the loss, lower is better, 1 is perfect), or the mean
 * squared error of a regression (the loss itself).
 */
export interface MetricView {
  metric: TaskMetric;
  /** Chart and header title, e.g. "Test accuracy". */
  title: string;
  /** Series and axis label. */
  label: string;
  value(e: Pick<Evaluation, 'accuracy' | 'loss'>): number;
  format(v: number): string;
  /** Accuracy lives in [0, 1]; the others scale to their data. */
  share: boolean;
}

export function metricView(metric: TaskMetric): MetricView {
  switch (metric) {
    case 'accuracy':
      return { metric, title: 'Test accuracy', label: 'accuracy', value: (e) => e.accuracy ?? Number.NaN, format: (v) => formatPercent(v, 2), share: true };
    case 'perplexity':
      return { metric, title: 'Validation perplexity', label: 'perplexity', value: (e) => Math.exp(e.loss ?? Number.NaN), format: (v) => v.toFixed(2), share: false };
    case 'mse':
      return { metric, title: 'Test mean squared error', label: 'MSE', value: (e) => e.loss ?? Number.NaN, format: (v) => v.toPrecision(4), share: false };
  }
}
