import type { TelemetryPayload } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { SERVER_TUNING } from './config';
import { checkDivergence } from './divergence';
import { PeerTable } from './peer-table';

const report = (loss: number | null, steps = 100, over: Partial<TelemetryPayload> = {}): TelemetryPayload => ({
  steps, samples: steps * 32, loss, stepsPerSec: 10, backend: 'wasm', bytesSent: 0, bytesReceived: 0, framesSent: 0,
  framesReceived: 0, framesLost: 0, framesRejected: 0, computeMs: 0, commMs: 0, epoch: 1, neighbours: 2, ...over,
});

const T = SERVER_TUNING.divergence;

function table(losses: (number | null)[]): PeerTable {
  const t = new PeerTable({ history: 4, departedKept: 4 });
  losses.forEach((loss, id) => {
    t.add(id, { backend: 'wasm', shard: id }, 0);
    t.record(id, report(loss), 1);
  });
  return t;
}

const flagged = (t: PeerTable) => t.summaries().filter((s) => s.flags.some((f) => f.code === 'diverged')).map((s) => s.id);

describe('checkDivergence', () => {
  it('flags the peer whose loss is far above the median, says why, and clears the flag when it recovers', () => {
    const t = table([0.3, 0.35, 0.4, 2.3]);
    checkDivergence(t, T, 1000);
    expect(flagged(t)).toEqual([3]);
    const flag = t.summaries()[3].flags[0];
    expect(flag).toMatchObject({ code: 'diverged', since: 1000 });
    expect(flag.message).toMatch(/loss 2\.30 .*median 0\.375/);
    checkDivergence(t, T, 2000);
    expect(t.summaries()[3].flags[0].since).toBe(1000); // still the first time it was seen
    t.record(3, report(0.5), 3000);
    checkDivergence(t, T, 3000);
    expect(flagged(t)).toEqual([]);
  });

  it('flags nobody while every loss is high together (early training) or too few peers report', () => {
    const early = table([2.3, 2.2, 2.4, 2.35]);
    checkDivergence(early, T, 1000);
    expect(flagged(early)).toEqual([]);
    const two = table([0.3, 2.3]);
    checkDivergence(two, T, 1000);
    expect(flagged(two)).toEqual([]);
    // A joiner's first steps are not judged.
    const joiner = table([0.3, 0.35, 0.4]);
    joiner.add(3, { backend: 'wasm', shard: 3 }, 0);
    joiner.record(3, report(2.3, T.minSteps - 1), 1);
    checkDivergence(joiner, T, 1000);
    expect(flagged(joiner)).toEqual([]);
  });

  it('keeps the flag of a peer that reported a non-finite model, also after it left', () => {
    const t = table([0.3, 0.35, 0.4]);
    t.record(2, report(null, 100, { diverged: true }), 5);
    expect(flagged(t)).toEqual([2]);
    checkDivergence(t, T, 1000);
    expect(flagged(t)).toEqual([2]);
    expect(t.summaries()[2].flags[0].message).toMatch(/non-finite/);
    t.markGone(2, 'left', 6);
    expect(flagged(t)).toEqual([2]);
  });
});
