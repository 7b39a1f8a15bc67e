import { describe, expect, it } from 'vitest';
import { SampleLedger } from './sample-ledger';
import { checkTelemetry, type PreviousReport } from './telemetry-guard';
import { telemetryReport } from './test-support';
import { SERVER_TUNING } from './tuning';

const B = SERVER_TUNING;
const ctx = (now: number, over = {}) => ({ now, samplesPerStep: 32, countingSince: 0, ...over });
const prev = (at: number, over = {}): PreviousReport => ({ report: telemetryReport(over), at });

describe('checkTelemetry', () => {
  it('accepts honest reports: counters growing at a real pace', () => {
    expect(checkTelemetry(telemetryReport({ steps: 10, samples: 320 }), undefined, ctx(5000), B)).toEqual({ ok: true, reset: false });
    expect(checkTelemetry(telemetryReport({ steps: 110, samples: 3520 }), prev(5000, { steps: 10, samples: 320 }), ctx(6000), B).ok).toBe(true);
    // A burst of queued reports (no server time between them) is inside the slack.
    expect(checkTelemetry(telemetryReport({ steps: 210, samples: 6720 }), prev(6000, { steps: 110, samples: 3520 }), ctx(6000), B).ok).toBe(true);
  });

  it.each([
    ['a negative loss', { loss: -1e308 }, /loss .* outside/],
    ['a loss above any real model', { loss: 1e308 }, /loss .* outside/],
    ['impossible steps/s', { stepsPerSec: 1e308 }, /stepsPerSec/],
    ['2^53-1 steps at once', { steps: 2 ** 53 - 1, samples: 2 ** 53 - 1 }, /steps in/],
    ['more samples than steps x batch', { steps: 20, samples: 320 * 1000 }, /samples for .* steps of at most 32 samples each/],
    ['a terabyte in a second', { bytesSent: 1e12 }, /bytesSent grew/],
    ['a million frames in a second', { steps: 10, framesReceived: 1e7 }, /framesReceived grew/],
    ['more compute time than wall time', { computeMs: 60_000 }, /computeMs \+ commMs/],
  ])('refuses %s', (_what, over, reason) => {
    const r = checkTelemetry(telemetryReport(over), prev(10_000), ctx(11_000), B);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('refuses counters that go down, except a moved peer resetting once', () => {
    const down = checkTelemetry(telemetryReport({ steps: 5, samples: 160 }), prev(1000, { steps: 10, samples: 320 }), ctx(2000), B);
    expect(!down.ok && down.reason).toMatch(/steps went down from 10 to 5/);
    const moved = checkTelemetry(telemetryReport({ steps: 5, samples: 160 }), prev(1000, { steps: 10, samples: 320 }), ctx(2000, { movedAt: 1500 }), B);
    expect(moved).toEqual({ ok: true, reset: true });
  });

  it('bounds a first report by the time since the run started', () => {
    expect(checkTelemetry(telemetryReport({ steps: 1000, samples: 32_000 }), undefined, ctx(1000), B).ok).toBe(true);
    expect(checkTelemetry(telemetryReport({ steps: 100_000, samples: 3_200_000 }), undefined, ctx(1000), B).ok).toBe(false);
    expect(checkTelemetry(telemetryReport({ steps: 100_000, samples: 3_200_000 }), undefined, ctx(3_600_000), B).ok).toBe(true);
  });
});

describe('SampleLedger', () => {
  it('counts growth after each peer\'s first report, so a rejoin after a restart is not counted twice', () => {
    const l = new SampleLedger(B, 32, 10_000); // a resumed run: 10,000 samples before this process
    l.admit(1, 0);
    expect(l.record(1, telemetryReport({ steps: 300, samples: 9600 }), 60_000).ok).toBe(true); // carried over: baseline
    expect(l.total()).toBe(10_000);
    l.record(1, telemetryReport({ steps: 310, samples: 9920 }), 61_000);
    expect(l.total()).toBe(10_320);
    l.forget(1);
    expect(l.total()).toBe(10_320);
  });

  it('counts a moved peer\'s own run only: growth if it keeps counting, everything after a reset', () => {
    const a = new SampleLedger(B, 32, 0);
    a.admit(1, 0);
    a.record(1, telemetryReport({ steps: 0, samples: 0 }), 1000);
    a.record(1, telemetryReport({ steps: 100, samples: 3200 }), 2000);
    const moved = a.movedOut(1)!;
    const b = new SampleLedger(B, 32, 0);
    b.admit(7, 3000, { at: 3000, from: moved });
    b.admit(8, 3000, { at: 3000, from: moved });
    expect(b.record(7, telemetryReport({ steps: 110, samples: 3520 }), 4000).ok).toBe(true); // kept counting
    expect(b.record(8, telemetryReport({ steps: 3, samples: 96 }), 4000)).toEqual({ ok: true, reset: true }); // restarted
    expect(b.total()).toBe(320 + 96);
    // Only once: a second drop is a lie.
    expect(b.record(8, telemetryReport({ steps: 1, samples: 32 }), 5000).ok).toBe(false);
  });

  it('refuses reports from peers it does not know', () => {
    expect(new SampleLedger(B, 32, 0).record(3, telemetryReport(), 0).ok).toBe(false);
  });
});
