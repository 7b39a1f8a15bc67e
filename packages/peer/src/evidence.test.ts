import type { SenderEvidence } from '@starling/core';
import { PROTOCOL_LIMITS, senderEvidenceSchema } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { evidenceReport } from './evidence';

const ev = (frames: number, magnitude: number, seqJumps: number, clipped: number): SenderEvidence => ({ frames, magnitude, seqJumps, clipped });

describe('evidenceReport', () => {
  it('keeps senders with refused or clipped frames, most refused first, in the wire schema', () => {
    const r = evidenceReport(new Map([[1, ev(100, 0, 0, 0)], [2, ev(100, 0, 0, 7)], [3, ev(50, 4, 1, 2)]]));
    expect(r).toEqual([
      { peer: 3, frames: 50, refused: 5, clipped: 2 },
      { peer: 2, frames: 100, refused: 0, clipped: 7 },
    ]);
    for (const e of r) expect(senderEvidenceSchema.parse(e)).toEqual(e);
  });

  it('is bounded by the telemetry limit and empty without evidence', () => {
    const many = new Map(Array.from({ length: PROTOCOL_LIMITS.maxLinksReported + 5 }, (_, i) => [i, ev(10, 1, 0, 0)] as const));
    expect(evidenceReport(many)).toHaveLength(PROTOCOL_LIMITS.maxLinksReported);
    expect(evidenceReport(undefined)).toEqual([]);
  });
});
