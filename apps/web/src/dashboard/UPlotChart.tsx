import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Columns } from './series';

/**
 * A uPlot canvas chart. The chart is built once per `shapeKey` (series count, axis kind) and then
 * only fed new data with `setData`, so a live update costs a redraw, not a rebuild; it follows its
 * container's width. A user's drag-zoom survives updates until a double-click resets it.
 */

export interface UPlotChartProps {
  /** Options without size; read when the chart is (re)built. */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: Columns;
  /** Changes when the options' shape changes (series added, x axis switched): rebuild then. */
  shapeKey: string;
  height: number;
  label: string;
  testId?: string;
  className?: string;
}

const toAligned = (c: Columns): uPlot.AlignedData => [c.x, ...c.ys] as uPlot.AlignedData;

export function UPlotChart({ options, data, shapeKey, height, label, testId, className }: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef({ options, data });
  latest.current = { options, data };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot({ ...latest.current.options, width: Math.max(200, el.clientWidth), height }, toAligned(latest.current.data), el);
    chart.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [shapeKey, height]);

  useEffect(() => {
    const u = chart.current;
    if (!u) return;
    u.setData(toAligned(data), !isZoomed(u));
  }, [data]);

  // data-points: how many x values the chart holds (what a test or an assistive tool can read).
  return (
    <div ref={box} className={`uplot-box ${className ?? ''}`} role="img" aria-label={label} data-testid={testId} data-points={data.x.length} />
  );
}

/** True when the x scale shows less than the whole of the current data (the user zoomed in). */
function isZoomed(u: uPlot): boolean {
  const xs = u.data[0];
  const { min, max } = u.scales.x;
  if (!xs || xs.length < 2 || min == null || max == null) return false;
  const first = xs[0];
  const last = xs[xs.length - 1];
  const eps = (last - first) * 1e-6;
  return min > first + eps || max < last - eps;
}
