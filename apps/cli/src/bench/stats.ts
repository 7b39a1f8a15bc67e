/** Median of the samples (the lower middle one for an even count); the input is not changed. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples');
  const s = samples.slice().sort((x, y) => x - y);
  return s[Math.floor((s.length - 1) / 2)];
}
