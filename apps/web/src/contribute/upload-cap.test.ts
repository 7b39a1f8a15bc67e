import { describe, expect, it } from 'vitest';
import { formatRate, parseUploadCap } from './upload-cap';

describe('upload cap field', () => {
  it('reads MB/s as bytes per second; an empty field is no cap', () => {
    expect(parseUploadCap('')).toBeNull();
    expect(parseUploadCap('  ')).toBeNull();
    expect(parseUploadCap('2.5')).toBe(2_500_000);
    expect(parseUploadCap(' 0.5 ')).toBe(500_000);
  });

  it('refuses what is not a usable rate', () => {
    for (const bad of ['abc', '-1', '0', '0.001', 'Infinity', '1e9', '2,5']) expect(parseUploadCap(bad)).toBeNaN();
  });

  it('formats a rate for the status panel', () => {
    expect(formatRate(null)).toBe('no limit');
    expect(formatRate(2_500_000)).toBe('2.5 MB/s');
    expect(formatRate(250_000)).toBe('0.25 MB/s');
  });
});
