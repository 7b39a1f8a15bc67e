import { describe, expect, it } from 'vitest';
import { applyGrowth, applyMembersChange, membersChange } from './members';

describe('member list changes', () => {
  it('rebuilds the next list from the change against the held epoch', () => {
    const change = membersChange(4, [0, 1, 3], [0, 3, 5, 6]);
    expect(change).toEqual({ base: 4, added: [5, 6], removed: [1] });
    expect(applyMembersChange([0, 1, 3], 4, { epoch: 5, change })).toEqual({ kind: 'members', members: [0, 3, 5, 6] });
  });

  it('ignores an epoch it already has and reports one it cannot apply', () => {
    const change = membersChange(4, [0], [0, 1]);
    expect(applyMembersChange([0, 1], 5, { epoch: 5, change })).toEqual({ kind: 'stale' });
    expect(applyMembersChange([0], 3, { epoch: 5, change })).toEqual({ kind: 'gap' });
  });

  it('adds a grow of the held epoch in order, and reports a skipped one as a gap', () => {
    const g = (seq: number, added: number[], removed: number[] = []) => ({ epoch: 5, seq, added, removed });
    expect(applyGrowth([0, 3], 5, 0, g(1, [7]))).toEqual({ kind: 'members', members: [0, 3, 7] });
    expect(applyGrowth([0, 3, 7], 5, 1, g(1, [7]))).toEqual({ kind: 'stale' }); // applied already
    // Grow 2 was lost: its joiner is in no later list, so the peer must join again for the whole one.
    expect(applyGrowth([0, 3, 7], 5, 1, g(3, [9]))).toEqual({ kind: 'gap' });
    expect(applyGrowth([0, 3], 6, 0, g(1, [7]))).toEqual({ kind: 'stale' }); // an older epoch's
    expect(applyGrowth([0, 3], 4, 2, g(1, [7]))).toEqual({ kind: 'gap' }); // epoch 5's news was lost
    // A neighbour left: it goes from the list, and the peers linked to us instead come in.
    expect(applyGrowth([0, 3, 7], 5, 1, g(2, [9], [3]))).toEqual({ kind: 'members', members: [0, 7, 9] });
  });
});
