import type uPlot from 'uplot';
import type { PeerId } from '@starling/core';
import { metricView, type MetricView } from './metric';
import type { XMode } from './run-series';

/** uPlot options for the dashboard's charts: colours, axes and legends in one place. */

export const COLOURS = {
  mean: '#1b1f24',
  accuracy: '#17803d',
  testLoss: '#c2410c',
  runs: ['#2456d6', '#d9730d'],
  grid: '#e6e8eb',
} as const;

/** A faint, stable colour per peer (golden-angle hues so neighbours differ). */
export function peerColour(id: PeerId, alpha: number): string {
  return `hsla(${Math.round((id * 137.508) % 360)}, 65%, 45%, ${alpha})`;
}

const fmt = (digits: number) => (_u: uPlot, v: number | null) => (v == null ? '—' : v.toFixed(digits));
const pct = (_u: uPlot, v: number | null) => (v == null ? '—' : `${(v * 100).toFixed(2)}%`);

function samplesTick(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : String(v)));
}

/** Clock times (seconds shown when the view spans under ten minutes); uPlot's default adds a
 * second row of dates that overlaps on narrow charts. */
function clockTicks(u: uPlot, splits: number[]): string[] {
  const { min, max } = u.scales.x;
  const short = min != null && max != null && max - min < 600;
  const opts: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(short ? { second: '2-digit' } : {}) };
  return splits.map((v) => new Date(v * 1000).toLocaleTimeString([], opts));
}

/** A single point (one evaluation so far) gives uPlot an empty x range: widen it around the point. */
function widenSingle(half: number): uPlot.Range.Function {
  return (_u, min, max) => (min === max ? [min - half, max + half] : [min, max]);
}

/** Accuracy lives in [0, 1]: pad the data's range a little but never show 150%. */
const accuracyRange: uPlot.Range.Function = (_u, min, max) => {
  if (min == null || max == null) return [0, 1];
  return [Math.max(0, Math.min(min, max - 0.05) - 0.02), Math.min(1, max + 0.02)];
};

function xAxis(mode: XMode): { scale: uPlot.Scale; axis: uPlot.Axis; series: uPlot.Series } {
  const axisBase: uPlot.Axis = { stroke: '#555', grid: { stroke: COLOURS.grid, width: 1 }, ticks: { stroke: COLOURS.grid } };
  if (mode === 'time') {
    return { scale: { time: true, range: widenSingle(30) }, axis: { ...axisBase, values: clockTicks, space: 70 }, series: { label: 'time' } };
  }
  return {
    scale: { time: false, range: widenSingle(1000) },
    axis: { ...axisBase, label: 'samples (run total)', values: samplesTick },
    series: { label: 'samples', value: (_u, v) => (v == null ? '—' : Math.round(v).toLocaleString('en-US')) },
  };
}

const yAxis = (label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
  label,
  stroke: '#555',
  grid: { stroke: COLOURS.grid, width: 1 },
  ticks: { stroke: COLOURS.grid },
  size: 56,
  ...extra,
});

export function lossChartOptions(mode: XMode, peerIds: readonly PeerId[], logScale: boolean): Omit<uPlot.Options, 'width' | 'height'> {
  const x = xAxis(mode);
  return {
    scales: { x: x.scale, y: logScale ? { distr: 3 } : { auto: true } },
    axes: [x.axis, yAxis('training loss')],
    series: [
      x.series,
      // The server records a peer's loss only on ticks with a new report: bridge those holes.
      ...peerIds.map((id): uPlot.Series => ({
        label: `peer ${id}`,
        stroke: peerColour(id, 0.4),
        width: 1,
        spanGaps: true,
        value: fmt(4),
        points: { show: false },
      })),
      // Last, so it is drawn over the peers' lines. A missing mean means no live peer: a real gap.
      { label: 'run mean', stroke: COLOURS.mean, width: 2.5, spanGaps: false, value: fmt(4), points: { show: false } },
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
  };
}

export function accuracyChartOptions(mode: XMode, metric: MetricView = metricView('accuracy')): Omit<uPlot.Options, 'width' | 'height'> {
  const x = xAxis(mode);
  const shareAxis = { scale: 'acc', values: (_u: uPlot, s: number[]) => s.map((v) => `${Math.round(v * 1000) / 10}%`) };
  return {
    scales: { x: x.scale, acc: metric.share ? { range: accuracyRange } : { auto: true }, loss: { auto: true } },
    axes: [
      x.axis,
      yAxis(metric.title.toLowerCase(), metric.share ? shareAxis : { scale: 'acc' }),
      yAxis('test loss', { scale: 'loss', side: 1, grid: { show: false } }),
    ],
    series: [
      x.series,
      { label: metric.label, scale: 'acc', stroke: COLOURS.accuracy, width: 2, spanGaps: true, value: metric.share ? pct : fmt(3), points: { show: true, size: 5 } },
      { label: 'test loss', scale: 'loss', stroke: COLOURS.testLoss, width: 1.5, dash: [6, 4], spanGaps: true, value: fmt(4), points: { show: true, size: 4 } },
    ],
    cursor: { drag: { x: true, y: false } },
  };
}

export function comparisonOptions(runIds: readonly string[], kind: 'accuracy' | 'loss'): Omit<uPlot.Options, 'width' | 'height'> {
  const x = xAxis('samples');
  return {
    scales: { x: x.scale, y: { auto: true } },
    axes: [
      x.axis,
      kind === 'accuracy'
        ? yAxis('test accuracy', { values: (_u, s) => s.map((v) => `${Math.round(v * 1000) / 10}%`) })
        : yAxis('mean training loss'),
    ],
    series: [
      x.series,
      ...runIds.map((id, k): uPlot.Series => ({
        label: id,
        stroke: COLOURS.runs[k % COLOURS.runs.length],
        width: 2,
        spanGaps: true,
        value: kind === 'accuracy' ? pct : fmt(4),
        points: { show: kind === 'accuracy', size: 4 },
      })),
    ],
    cursor: { drag: { x: true, y: false } },
  };
}
