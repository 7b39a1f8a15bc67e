import { describe, expect, it } from 'vitest';
import { telemetrySchema } from '@starling/protocol';
import { initialStatus } from './status';
import { TelemetryMeter } from './telemetry';

describe('telemetry meter', () => {
  it('reports totals as totals and time splits and rates per interval', () => {
    let t = 0;
    const meter = new TelemetryMeter(() => t);
    const s = { ...initialStatus(), backend: 'wasm', steps: 10, computeMs: 800, commMs: 100, loss: 0.7, neighboursOpen: 2 };
    t = 1000;
    const a = meter.report(s, 1024);
    expect(a).toMatchObject({ steps: 10, stepsPerSec: 10, computeMs: 800, commMs: 100, loss: 0.7, backend: 'wasm', neighbours: 2 });
    t = 2000;
    const b = meter.report({ ...s, steps: 30, computeMs: 1500, commMs: 300 }, 1024);
    expect(b.computeMs).toBe(700);
    expect(b.commMs).toBe(200);
    expect(b.stepsPerSec).toBe(15); // smoothed: (10 + 20) / 2
  });

  it('carries R-FAST\'s figures (mass in transit, compute share, send share) as the schema takes them', () => {
    const meter = new TelemetryMeter(() => 1);
    const r = meter.report({ ...initialStatus(), massInTransit: 0.03, computeShare: 0.8, sendShare: 0.0625 }, 8);
    expect(r).toMatchObject({ massInTransit: 0.03, computeShare: 0.8, sendShare: 0.0625 });
    expect(telemetrySchema.safeParse(r).success).toBe(true);
    expect(telemetrySchema.safeParse({ ...r, sendShare: 0 }).success).toBe(false); // a budget of nothing is no budget
    expect(telemetrySchema.safeParse({ ...r, sendShare: 2 }).success).toBe(false);
  });

  it('never reports a non-finite loss', () => {
    const meter = new TelemetryMeter(() => 1);
    expect(meter.report({ ...initialStatus(), loss: NaN }, 8).loss).toBeNull();
    expect(meter.report({ ...initialStatus(), loss: Infinity }, 8).loss).toBeNull();
  });

  it('says the model diverged once the peer gave up on non-finite gradients, and only then', () => {
    const meter = new TelemetryMeter(() => 1);
    expect(meter.report({ ...initialStatus(), loss: 0.5 }, 8).diverged).toBeUndefined();
    const failed = { ...initialStatus(), loss: NaN, error: { code: 'diverged' as const, message: 'x', detail: 'x', advice: 'y' } };
    expect(meter.report(failed, 8)).toMatchObject({ loss: null, diverged: true });
    const other = { ...initialStatus(), error: { code: 'internal' as const, message: 'x', detail: 'x', advice: 'y' } };
    expect(meter.report(other, 8).diverged).toBeUndefined();
  });
});
