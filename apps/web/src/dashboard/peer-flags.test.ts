import { describe, expect, it } from 'vitest';
import { peerWarnings } from './peer-flags';
import { makePeersTableReducer, EMPTY_PEERS_TABLE } from './peers-table';
import { payload, peer } from './test-fixtures';

describe('peerWarnings', () => {
  it('lists one warning per flag, live peers first, and marks departed peers', () => {
    const reduce = makePeersTableReducer({ departedKept: 4, slowFraction: 0.2, slowSilenceMs: 5000 });
    const flag = (message: string) => [{ code: 'diverged' as const, message, since: 1, count: 1 }];
    let state = reduce(EMPTY_PEERS_TABLE, { type: 'peers', payload: payload(10, [peer(0), peer(1, { flags: flag('loss 2.3') }), peer(2, { flags: flag('non-finite') })]) });
    state = reduce(state, { type: 'peers', payload: payload(20, [peer(0), peer(1, { flags: flag('loss 2.3') }), peer(2, { state: 'left', flags: flag('non-finite') })]) });
    expect(peerWarnings(state.rows)).toEqual([
      { peerId: 1, code: 'diverged', message: 'loss 2.3', departed: false },
      { peerId: 2, code: 'diverged', message: 'non-finite', departed: true },
    ]);
    expect(peerWarnings(reduce(EMPTY_PEERS_TABLE, { type: 'peers', payload: payload(10, [peer(0)]) }).rows)).toEqual([]);
  });
});
