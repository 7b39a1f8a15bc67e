/**
 * A small hand-written SVG line chart (no plotting dependency): axes with round ticks, one polyline
 * per series (broken at NaN points), optional point markers, a legend on the right.
 */
import { BenchError } from './errors';

export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  dashed?: boolean;
  /** Palette entry (default: the series' position), so related series can share a colour. */
  colorIndex?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** 'log2' for quantities like peer counts (ticks at powers of two). */
  xScale?: 'linear' | 'log2';
  /** Fixed y range; default: the data's range with round ends. */
  yMin?: number;
  yMax?: number;
  /** Circles at every point (for a few points per series). */
  markers?: boolean;
  width?: number;
  height?: number;
}

const PALETTE = ['#1b6ac9', '#d1495b', '#2a9d3f', '#e08a00', '#7b3fb5', '#0f9aa8', '#8a5a2b', '#555555'];
const MARGIN = { left: 64, right: 190, top: 40, bottom: 52 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new BenchError(`tick range must be finite, got [${lo}, ${hi}]`);
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** [lo, hi] widened to the round ticks just outside it. */
export function niceRange(lo: number, hi: number, count = 6): [number, number] {
  const t = niceTicks(lo, hi, count);
  if (t.length < 2) return [lo, hi];
  const step = t[1] - t[0];
  return [t[0] - step * 1e-9 > lo ? t[0] - step : t[0], t[t.length - 1] + step * 1e-9 < hi ? t[t.length - 1] + step : t[t.length - 1]];
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(6)));
}

function finiteRange(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) throw new BenchError('chart has no finite data point');
  if (lo === hi) return [lo - (lo === 0 ? 1 : Math.abs(lo) * 0.1), hi + (hi === 0 ? 1 : Math.abs(hi) * 0.1)];
  return [lo, hi];
}

/** The chart as a standalone SVG document. */
export function lineChart(o: ChartOptions): string {
  if (o.series.length === 0) throw new BenchError(`chart '${o.title}' has no series`);
  for (const s of o.series) {
    if (s.x.length !== s.y.length) throw new BenchError(`series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`);
  }
  const log = o.xScale === 'log2';
  const tx = (v: number) => (log ? Math.log2(v) : v);
  const W = o.width ?? 760;
  const H = o.height ?? 420;
  const pw = W - MARGIN.left - MARGIN.right;
  const ph = H - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = finiteRange(o.series.flatMap((s) => s.x.filter((v) => !log || v > 0).map(tx)));
  const [autoLo, autoHi] = niceRange(...finiteRange(o.series.flatMap((s) => [...s.y])));
  const y0 = o.yMin ?? autoLo;
  const y1 = o.yMax ?? autoHi;
  const sx = (v: number) => MARGIN.left + ((tx(v) - x0) / (x1 - x0 || 1)) * pw;
  const sy = (v: number) => MARGIN.top + ph - ((Math.min(Math.max(v, y0), y1) - y0) / (y1 - y0 || 1)) * ph;
  const f = (v: number) => v.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`);
  // Grid and ticks.
  const xTicks = log
    ? Array.from({ length: Math.floor(x1) - Math.ceil(x0) + 1 }, (_, i) => 2 ** (Math.ceil(x0) + i))
    : niceTicks(x0, x1);
  for (const v of xTicks) {
    const x = f(sx(v));
    parts.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + ph}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  for (const v of niceTicks(y0, y1).filter((t) => t >= y0 - 1e-12 && t <= y1 + 1e-12)) {
    const y = f(sy(v));
    parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + pw}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(
    `<text x="16" y="${MARGIN.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + ph / 2})">${escapeXml(o.yLabel)}</text>`,
  );
  // Series, then the legend.
  o.series.forEach((s, k) => {
    const color = PALETTE[(s.colorIndex ?? k) % PALETTE.length];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    let seg: string[] = [];
    const flush = () => {
      if (seg.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${seg.join(' ')}"/>`);
      seg = [];
    };
    for (let i = 0; i < s.x.length; i++) {
      const ok = Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]) && (!log || s.x[i] > 0);
      if (!ok) {
        flush();
        continue;
      }
      seg.push(`${f(sx(s.x[i]))},${f(sy(s.y[i]))}`);
      if (o.markers) parts.push(`<circle cx="${f(sx(s.x[i]))}" cy="${f(sy(s.y[i]))}" r="3" fill="${color}"/>`);
    }
    flush();
    const ly = MARGIN.top + 10 + k * 18;
    const lx = MARGIN.left + pw + 14;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
