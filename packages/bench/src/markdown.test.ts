import { describe, expect, it } from 'vitest';
import { BenchError } from './errors';
import { fmt, markdownTable, pct } from './markdown';

describe('markdownTable', () => {
  it('writes header, alignment row and one line per row, escaping pipes and newlines', () => {
    const t = markdownTable(['name', 'value'], [['a|b', '1'], ['two\nlines', '22']]);
    const lines = t.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('| name | value |');
    expect(lines[1]).toBe('|---|---:|');
    expect(lines[2]).toBe('| a\\|b | 1 |');
    expect(lines[3]).toBe('| two lines | 22 |');
    // Every line has the same number of unescaped cell separators.
    for (const l of lines) expect(l.replace(/\\\|/g, '').split('|')).toHaveLength(4);
  });

  it('honours explicit alignment and refuses ragged rows', () => {
    expect(markdownTable(['x', 'y'], [], ['right', 'left']).split('\n')[1]).toBe('|---:|---|');
    expect(() => markdownTable(['x', 'y'], [['1']])).toThrow(BenchError);
    expect(() => markdownTable([], [])).toThrow(BenchError);
  });
});

describe('number formats', () => {
  it('formats numbers, percentages, missing and failed values', () => {
    expect(fmt(1.23456, 2)).toBe('1.23');
    expect(fmt(null)).toBe('-');
    expect(fmt(Number.NaN)).toBe('n/a');
    expect(pct(0.95123)).toBe('95.1%');
    expect(pct(null)).toBe('-');
  });
});
