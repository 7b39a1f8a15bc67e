import type { SenderEvidence } from '@starling/core';
import { PROTOCOL_LIMITS, senderEvidenceSchema } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { evidenceReport } from './evidence';

const ev = (frames: number, magnitude: number, seqJumps: number, clipped: number, frozen = 0): SenderEvidence => ({ frames, magnitude, seqJumps, clipped, frozen });

describe('evidenceReport', () => {
  it('keeps senders with refused, clipped or frozen frames, most refused first, in the wire schema', () => {
    const r = evidenceReport(new Map([[1, ev(100, 0, 0, 0)], [2, ev(100, 0, 0, 7)], [3, ev(50, 4, 1, 2)], [4, ev(100, 0, 0, 1, 90)]]));
    expect(r).toEqual([
      { peer: 3, frames: 50, refused: 5, clipped: 2, frozen: 0 },
      { peer: 4, frames: 100, refused: 0, clipped: 1, frozen: 90 },
      { peer: 2, frames: 100, refused: 0, clipped: 7, frozen: 0 },
    ]);
    for (const e of r) expect(senderEvidenceSchema.parse(e)).toEqual(e);
  });

  it('is bounded by the telemetry limit and empty without evidence', () => {
    const many = new Map(Array.from({ length: PROTOCOL_LIMITS.maxLinksReported + 5 }, (_, i) => [i, ev(10, 1, 0, 0)] as const));
    expect(evidenceReport(many)).toHaveLength(PROTOCOL_LIMITS.maxLinksReported);
    expect(evidenceReport(undefined)).toEqual([]);
  });
});
