import type { SenderEvidence } from '@starling/core';
import { PROTOCOL_LIMITS, senderEvidenceSchema } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { EvidenceAlert, evidenceReport } from './evidence';

const ev = (frames: number, magnitude: number, seqJumps: number, clipped: number, frozen = 0, opposed = 0, massFrames = 0, massOpposed = 0): SenderEvidence => ({
  frames, magnitude, seqJumps, clipped, frozen, opposed, massFrames, massOpposed,
});

describe('evidenceReport', () => {
  it('keeps senders with refused, clipped, frozen or opposed frames or opposed running sums, most refused first, in the wire schema', () => {
    const r = evidenceReport(new Map([[1, ev(100, 0, 0, 0, 0, 0, 200)], [2, ev(100, 0, 0, 7)], [3, ev(50, 4, 1, 2)], [4, ev(100, 0, 0, 1, 90)], [5, ev(100, 0, 0, 3, 0, 40)], [6, ev(100, 0, 0, 0, 0, 0, 200, 150)]]));
    const none = { massFrames: 0, massOpposed: 0 };
    expect(r).toEqual([
      { peer: 3, frames: 50, refused: 5, clipped: 2, frozen: 0, opposed: 0, ...none },
      { peer: 4, frames: 100, refused: 0, clipped: 1, frozen: 90, opposed: 0, ...none },
      { peer: 5, frames: 100, refused: 0, clipped: 3, frozen: 0, opposed: 40, ...none },
      { peer: 2, frames: 100, refused: 0, clipped: 7, frozen: 0, opposed: 0, ...none },
      { peer: 6, frames: 100, refused: 0, clipped: 0, frozen: 0, opposed: 0, massFrames: 200, massOpposed: 150 },
    ]);
    for (const e of r) expect(senderEvidenceSchema.parse(e)).toEqual(e);
  });

  it('is bounded by the telemetry limit and empty without evidence', () => {
    const many = new Map(Array.from({ length: PROTOCOL_LIMITS.maxLinksReported + 5 }, (_, i) => [i, ev(10, 1, 0, 0)] as const));
    expect(evidenceReport(many)).toHaveLength(PROTOCOL_LIMITS.maxLinksReported);
    expect(evidenceReport(undefined)).toEqual([]);
  });
});

describe('EvidenceAlert', () => {
  const report = (peer: number, frames: number, clipped: number, opposed = 0) => ({ peer, frames, refused: 0, clipped, frozen: 0, opposed });

  it('fires when a sender\'s evidence starts to count in the verdict, once while it counts, and again after it stopped', () => {
    const alert = new EvidenceAlert();
    expect(alert.check([report(3, 40, 40)])).toBe(false); // too few frames to count yet
    expect(alert.check([report(3, 60, 40)])).toBe(true); // mostly clipped now
    expect(alert.check([report(3, 80, 60)])).toBe(false); // still counting: already told
    expect(alert.check([report(3, 80, 60), report(4, 100, 1, 40)])).toBe(true); // a second sender, opposed
    expect(alert.check([report(4, 200, 1, 40)])).toBe(false); // 3 gone; 4 below the opposed share now
    expect(alert.check([report(4, 200, 1, 80)])).toBe(true);
    expect(alert.check([])).toBe(false);
  });
});
