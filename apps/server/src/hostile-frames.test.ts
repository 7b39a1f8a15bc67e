import type { SenderEvidenceReport, TelemetryPayload } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { SERVER_TUNING } from './config';
import { checkHostileFrames } from './hostile-frames';
import { PeerTable } from './peer-table';

const T = SERVER_TUNING.hostileFrames;

const report = (evidence: SenderEvidenceReport[], steps = 100): TelemetryPayload => ({
  steps, samples: 3200, loss: 0.4, stepsPerSec: 10, backend: 'wasm', bytesSent: 0, bytesReceived: 0, framesSent: 0,
  framesReceived: 0, framesLost: 0, framesRejected: 0, computeMs: 0, commMs: 0, epoch: 1, neighbours: 2, evidence,
});

/** Peers 0..n-1, each reporting the evidence given for it (by reporter id). */
function table(n: number, reports: Record<number, SenderEvidenceReport[]>, steps: Record<number, number> = {}): PeerTable {
  const t = new PeerTable({ history: 4, departedKept: 4 });
  for (let id = 0; id < n; id++) {
    t.add(id, { backend: 'wasm', shard: id }, 0);
    t.record(id, report(reports[id] ?? [], steps[id]), 1);
  }
  return t;
}

const flagged = (t: PeerTable) => t.summaries().filter((s) => s.flags.some((f) => f.code === 'hostile-frames')).map((s) => s.id);
const hard = (peer: number) => ({ peer, frames: 400, refused: T.minRefused, clipped: 0, frozen: 0, opposed: 0 });

describe('checkHostileFrames', () => {
  it('flags a sender two peers refused frames of, and says who and how many', () => {
    const t = table(4, { 0: [hard(3)], 1: [hard(3)] });
    expect(checkHostileFrames(t, T, 1000)).toEqual([3]); // convicted on refusals: to eject
    expect(flagged(t)).toEqual([3]);
    expect(t.summaries()[3].flags[0].message).toMatch(/peers 0, 1 refused 6 of its 800 frames.*ejected on: refused\)$/);
  });

  it('ejects a sender whose R-FAST running sums two peers found opposed, and says so', () => {
    const sums = (peer: number) => ({ peer, frames: 200, refused: 0, clipped: 0, frozen: 0, opposed: 0, massFrames: 300, massOpposed: 280 });
    const t = table(4, { 0: [sums(3)], 1: [sums(3)] });
    expect(checkHostileFrames(t, T, 1000)).toEqual([3]);
    expect(t.summaries()[3].flags[0].message).toMatch(/560 of its 600 running sums pointed against the receivers' own.*ejected on: mass-opposed\)$/);
  });

  it('one accuser is not enough: it may be the liar', () => {
    const t = table(4, { 0: [hard(3), hard(1), hard(2)] });
    checkHostileFrames(t, T, 1000);
    expect(flagged(t)).toEqual([]);
  });

  it('mostly-clipped frames count once enough were seen; a few clipped frames, or a report about oneself, do not', () => {
    const half = (peer: number, frames: number) => ({ peer, frames, refused: 0, clipped: Math.ceil(frames * T.clipShare), frozen: 0, opposed: 0 });
    const enough = table(4, { 0: [half(2, T.minFrames)], 1: [half(2, T.minFrames)] });
    expect(checkHostileFrames(enough, T, 1000)).toEqual([]); // flagged, but half clipped does not eject
    expect(flagged(enough)).toEqual([2]);
    const nearlyAll = (peer: number) => ({ peer, frames: 200, refused: 0, clipped: Math.ceil(200 * T.ejectClipShare), frozen: 0, opposed: 0 });
    expect(checkHostileFrames(table(4, { 0: [nearlyAll(2)], 1: [nearlyAll(2)] }), T, 1000)).toEqual([2]);
    // The same from a sender whose telemetry says it stepped 20x as often as its reporters: flagged, not ejected.
    const ahead = table(4, { 0: [nearlyAll(2)], 1: [nearlyAll(2)] }, { 2: 2000 });
    expect(checkHostileFrames(ahead, T, 1000)).toEqual([]);
    expect(flagged(ahead)).toEqual([2]);
    expect(ahead.summaries()[2].flags[0].message).toMatch(/not ejected for clipping: it has taken far more steps than the peers that clip it/);
    const few = table(4, { 0: [half(2, T.minFrames - 1)], 1: [half(2, T.minFrames - 1)] });
    checkHostileFrames(few, T, 1000);
    expect(flagged(few)).toEqual([]);
    const honest = table(4, { 0: [{ peer: 2, frames: 1000, refused: 0, clipped: 10, frozen: 0, opposed: 0 }], 1: [{ peer: 2, frames: 1000, refused: 0, clipped: 12, frozen: 0, opposed: 0 }] });
    checkHostileFrames(honest, T, 1000);
    expect(flagged(honest)).toEqual([]);
    const self = table(4, { 2: [hard(2)], 1: [hard(2)] });
    checkHostileFrames(self, T, 1000);
    expect(flagged(self)).toEqual([]);
  });
});
