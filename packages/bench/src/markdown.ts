/** A GitHub-flavoured markdown table writer and the number formats the reports use. */
import { BenchError } from './errors';

export type Align = 'left' | 'right';

/** Escapes what would break a table cell: pipes and line breaks. */
export function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * One table: a header row, the alignment row and one line per row. Every row must have as many
 * cells as the header; `align` defaults to left for the first column and right for the others.
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  if (header.length === 0) throw new BenchError('a table needs at least one column');
  const al = align ?? header.map((_, i) => (i === 0 ? 'left' : 'right'));
  if (al.length !== header.length) throw new BenchError(`table has ${header.length} columns but ${al.length} alignments`);
  rows.forEach((r, i) => {
    if (r.length !== header.length) throw new BenchError(`table row ${i} has ${r.length} cells, the header ${header.length}`);
  });
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const sep = `|${al.map((a) => (a === 'right' ? '---:' : '---')).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

/** Fixed decimals; "-" for null, "n/a" for NaN. */
export function fmt(x: number | null, digits = 2): string {
  if (x === null) return '-';
  if (Number.isNaN(x)) return 'n/a';
  return x.toFixed(digits);
}

/** A fraction as a percentage: 0.9512 -> "95.1%". */
export function pct(x: number | null, digits = 1): string {
  if (x === null) return '-';
  if (Number.isNaN(x)) return 'n/a';
  return `${(100 * x).toFixed(digits)}%`;
}
