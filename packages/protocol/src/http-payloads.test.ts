import { describe, expect, it } from 'vitest';
import { maxPointsQuerySchema, MAX_POINTS, newRunRequestSchema } from './http-payloads';
import { validateWith } from './issues';
import { DEFAULT_LR } from './config';

describe('HTTP request schemas', () => {
  it('a new run request carries a full, validated run config', () => {
    const v = validateWith(newRunRequestSchema, { config: { algorithm: 'dpsgd', topology: { kind: 'ring' } } });
    expect(v.ok && v.value.config).toMatchObject({ algorithm: 'dpsgd', topology: { kind: 'ring' }, lr: DEFAULT_LR.dpsgd, snapshotIntervalMs: 10_000 });
    const bad = validateWith(newRunRequestSchema, { config: { algorithm: 'sgd' }, extra: 1 });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path).sort()).toEqual(['', 'config.algorithm']);
    expect(validateWith(newRunRequestSchema, {}).ok).toBe(false);
  });

  it('maxPoints is an integer in 2..max from the query string, with a default', () => {
    const parse = (q: Record<string, string>) => validateWith(maxPointsQuerySchema, q);
    expect(parse({})).toEqual({ ok: true, value: { maxPoints: MAX_POINTS.default } });
    expect(parse({ maxPoints: '500', _: '123' })).toEqual({ ok: true, value: { maxPoints: 500 } });
    for (const bad of ['1', '2.5', 'abc', '', String(MAX_POINTS.max + 1)]) expect(parse({ maxPoints: bad }).ok, bad).toBe(false);
  });
});
