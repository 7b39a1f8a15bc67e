import { describe, expect, it } from 'vitest';
import { BenchError } from './errors';
import { lineChart, niceRange, niceTicks } from './svg';

/** Every polyline's points as numbers. */
function polylines(svg: string): number[][][] {
  return [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
}

describe('niceTicks / niceRange', () => {
  it('gives round steps inside the range and a range widened to round ends', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.66, 14.8, 6)).toEqual([5, 10]);
    expect(niceRange(0.66, 14.8, 6)).toEqual([0, 15]);
    expect(() => niceTicks(0, Number.NaN)).toThrow(BenchError);
  });
});

describe('lineChart', () => {
  const series = [
    { name: 'R-FAST', x: [0, 1, 2], y: [0.1, 0.5, 0.9] },
    { name: 'A <&> B', x: [0, 1, 2, 3], y: [0.2, Number.NaN, 0.6, 0.7], dashed: true },
  ];
  const svg = lineChart({ title: 'acc "vs" time', xLabel: 't', yLabel: 'acc', series, yMin: 0, yMax: 1 });

  it('is one well-formed svg document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('A &lt;&amp;&gt; B');
    expect(svg).toContain('acc &quot;vs&quot; time');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('draws each series in plot coordinates, breaking lines at NaN', () => {
    const lines = polylines(svg);
    // Series 1: one line of 3 points; series 2: the NaN splits it, leaving one 2-point segment (a lone point draws no line).
    expect(lines.map((l) => l.length)).toEqual([3, 2]);
    const [a] = lines;
    // Coordinates are rounded to 0.1 px. x grows left to right at equal steps; higher accuracy is higher up.
    expect(a[1][0] - a[0][0]).toBeCloseTo(a[2][0] - a[1][0], 0);
    expect(a[0][1]).toBeGreaterThan(a[1][1]);
    expect(a[1][1]).toBeGreaterThan(a[2][1]);
    // y is linear in the value: 0.1 -> 0.5 spans the same height as 0.5 -> 0.9.
    expect(a[0][1] - a[1][1]).toBeCloseTo(a[1][1] - a[2][1], 0);
    expect(svg).toContain('stroke-dasharray');
  });

  it('puts powers of two at equal spacing on a log2 axis', () => {
    const s = lineChart({ title: 't', xLabel: 'n', yLabel: 'age', xScale: 'log2', series: [{ name: 'f', x: [16, 64, 256], y: [1, 2, 3] }] });
    const [l] = polylines(s);
    expect(l[1][0] - l[0][0]).toBeCloseTo(l[2][0] - l[1][0], 0);
  });

  it('refuses charts without data or with mismatched series', () => {
    expect(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toThrow(BenchError);
    expect(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', x: [1, 2], y: [1] }] })).toThrow(BenchError);
    expect(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', x: [1], y: [Number.NaN] }] })).toThrow(BenchError);
  });
});
