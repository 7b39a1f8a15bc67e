import { describe, expect, it } from 'vitest';
import { applyMembersChange, membersChange } from './members';

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
});
