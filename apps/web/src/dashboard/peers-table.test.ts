import { describe, expect, it } from 'vitest';
import { computeShare, EMPTY_PEERS_TABLE, isDeparted, makePeersTableReducer, type PeersTableState } from './peers-table';
import { payload, peer } from './test-fixtures';

const limits = { departedKept: 3, slowFraction: 0.5, slowSilenceMs: 3000 };
const reduce = makePeersTableReducer(limits);
const apply = (state: PeersTableState, ...payloads: ReturnType<typeof payload>[]) =>
  payloads.reduce((s, p) => reduce(s, { type: 'peers', payload: p }), state);
const byId = (s: PeersTableState) => new Map(s.rows.map((r) => [r.peer.id, r]));

describe('peers table reducer', () => {
  it('keeps a peer the server stops listing, greyed as left, with its last figures', () => {
    const s = apply(
      EMPTY_PEERS_TABLE,
      payload(1000, [peer(0, { lastSeen: 1000, samples: 320 }), peer(1, { lastSeen: 1000, samples: 64 })]),
      payload(2000, [peer(1, { lastSeen: 2000, samples: 96 })]),
    );
    const rows = byId(s);
    expect(rows.get(0)?.status).toBe('left');
    expect(rows.get(0)?.peer.state).toBe('left');
    expect(rows.get(0)?.peer.samples).toBe(320);
    expect(rows.get(1)?.status).toBe('live');
    // Live peers first, then departed ones.
    expect(s.rows.map((r) => isDeparted(r.status))).toEqual([false, true]);
  });

  it("shows the server's own departed states and keeps a timed-out peer timed-out after it is forgotten", () => {
    const s1 = apply(EMPTY_PEERS_TABLE, payload(1000, [peer(0, { state: 'timed-out' }), peer(1, { state: 'left' }), peer(2)]));
    expect([...byId(s1).values()].map((r) => r.status).sort()).toEqual(['left', 'live', 'timed-out']);
    const s2 = apply(s1, payload(2000, [peer(2, { lastSeen: 2000 })]));
    expect(byId(s2).get(0)?.status).toBe('timed-out');
    expect(byId(s2).get(1)?.status).toBe('left');
  });

  it('bounds the departed peers kept, dropping the longest gone', () => {
    let s = EMPTY_PEERS_TABLE;
    for (let i = 0; i < 6; i++) s = apply(s, payload(1000 * (i + 1), [peer(i, { lastSeen: 1000 * (i + 1) })]));
    const departed = s.rows.filter((r) => isDeparted(r.status)).map((r) => r.peer.id);
    expect(departed.length).toBe(limits.departedKept);
    expect(departed).toEqual([4, 3, 2]);
  });

  it('marks live peers slow when far below the median rate or silent too long', () => {
    const at = 10_000;
    const s = apply(
      EMPTY_PEERS_TABLE,
      payload(at, [
        peer(0, { stepsPerSec: 10, lastSeen: at }),
        peer(1, { stepsPerSec: 11, lastSeen: at }),
        peer(2, { stepsPerSec: 10 * limits.slowFraction * 0.9, lastSeen: at }),
        peer(3, { stepsPerSec: 12, lastSeen: at - limits.slowSilenceMs - 1 }),
      ]),
    );
    const st = new Map(s.rows.map((r) => [r.peer.id, r.status]));
    expect(st).toEqual(new Map([[0, 'live'], [1, 'live'], [2, 'slow'], [3, 'slow']]));
  });

  it('ignores an out-of-order payload and resets on a new run', () => {
    const s1 = apply(EMPTY_PEERS_TABLE, payload(5000, [peer(0)]));
    expect(apply(s1, payload(4000, [peer(9)]))).toBe(s1);
    expect(reduce(s1, { type: 'reset' })).toEqual(EMPTY_PEERS_TABLE);
  });
});

describe('computeShare', () => {
  it('is compute / (compute + comm), or null when not reported', () => {
    expect(computeShare(peer(0, { computeMs: 300, commMs: 100 }))).toBeCloseTo(300 / 400);
    expect(computeShare(peer(0))).toBeNull();
    expect(computeShare(peer(0, { computeMs: 0, commMs: 0 }))).toBeNull();
  });
});
