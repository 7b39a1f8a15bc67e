import { describe, expect, it } from 'vitest';
import { ROBUST_DEFAULTS } from './robust-config';
import { judgeSenders, type EvidenceAgainst, type PeerEvidence } from './robust-verdict';

const T = ROBUST_DEFAULTS.verdict;
const refusedBy = (reporter: number, peer: number): PeerEvidence => ({ reporter, evidence: [{ peer, frames: 400, refused: T.minRefused, clipped: 0, frozen: 0 }] });
const clippedBy = (reporter: number, peer: number, share: number, frames = 200): PeerEvidence => ({
  reporter,
  evidence: [{ peer, frames, refused: 0, clipped: Math.ceil(frames * share), frozen: 0 }],
});

describe('judgeSenders', () => {
  it('ejects a sender that two peers refused frames of, and says who and how many', () => {
    expect(judgeSenders([refusedBy(0, 3), refusedBy(1, 3)], T)).toEqual([
      { sender: 3, reporters: [0, 1], refused: 6, clipped: 0, frozen: 0, opposed: 0, massOpposed: 0, massFrames: 0, frames: 800, eject: true, grounds: ['refused'] },
    ]);
  });

  it('one accuser is not enough (it may be the liar), and a report about oneself counts for nothing', () => {
    expect(judgeSenders([refusedBy(0, 3)], T)).toEqual([]);
    expect(judgeSenders([refusedBy(3, 3), refusedBy(1, 3)], T)).toEqual([]);
  });

  it('half the frames clipped flags; nearly all clipped by two reporters ejects', () => {
    const half = judgeSenders([clippedBy(0, 2, T.clipShare), clippedBy(1, 2, T.clipShare)], T);
    expect(half.map((v) => [v.sender, v.eject])).toEqual([[2, false]]);
    const most = judgeSenders([clippedBy(0, 2, T.ejectClipShare), clippedBy(1, 2, T.ejectClipShare)], T);
    expect(most.map((v) => [v.sender, v.eject, v.grounds])).toEqual([[2, true, ['clipped']]]);
    // One reporter at nearly all and one at half: flagged, not ejected.
    const mixed = judgeSenders([clippedBy(0, 2, T.ejectClipShare), clippedBy(1, 2, T.clipShare)], T);
    expect(mixed.map((v) => [v.sender, v.eject, v.grounds])).toEqual([[2, false, []]]);
  });

  it('clipping does not eject a sender aheadFactor times ahead of its clipping reporters in steps; replays still do', () => {
    const withSteps = (r: PeerEvidence, steps: number): PeerEvidence => ({ ...r, steps });
    // AD-PSGD on home links: the passive peer 1 stepped 20x as often as the active 0 and 2, which clipped nearly all its frames.
    const fast = [withSteps(clippedBy(0, 1, T.ejectClipShare), 100), withSteps(clippedBy(2, 1, T.ejectClipShare), 110), { reporter: 1, evidence: [], steps: 2000 }];
    expect(judgeSenders(fast, T).map((v) => [v.sender, v.eject, v.grounds, v.spared])).toEqual([[1, false, [], 'ahead']]);
    // Only just short of the factor (median of the reporters' 100 and 110: 100): ejected as before.
    const close = [fast[0], fast[1], { reporter: 1, evidence: [], steps: T.aheadFactor * 100 - 1 }];
    expect(judgeSenders(close, T).map((v) => [v.sender, v.eject, v.grounds])).toEqual([[1, true, ['clipped']]]);
    // Steps unknown (a report without them), or the rule off: ejected as before.
    expect(judgeSenders([clippedBy(0, 1, T.ejectClipShare), clippedBy(2, 1, T.ejectClipShare), { reporter: 1, evidence: [], steps: 2000 }], T)[0].eject).toBe(true);
    expect(judgeSenders(fast, { ...T, aheadFactor: 0 })[0].eject).toBe(true);
    // Replayed (frozen) frames from a sender that claims to be ahead: still ejected.
    const replay = (reporter: number): PeerEvidence => ({ reporter, steps: 100, evidence: [{ peer: 1, frames: 200, refused: 0, clipped: 0, frozen: 200 }] });
    expect(judgeSenders([replay(0), replay(2), { reporter: 1, evidence: [], steps: 2000 }], T).map((v) => [v.sender, v.eject, v.grounds])).toEqual([[1, true, ['clipped']]]);
  });

  it('opposed frames (taken unclipped, pointing against the reporter) count with clipped ones; an honest share does not', () => {
    const flip = (reporter: number, clipped: number, opposed: number): PeerEvidence => ({ reporter, evidence: [{ peer: 2, frames: 200, refused: 0, clipped, frozen: 0, opposed }] });
    // Each reporter clipped only some of the flipped frames (the models near zero), the rest pointed against it.
    expect(judgeSenders([flip(0, 100, 90), flip(1, 30, 160)], T).map((v) => [v.sender, v.eject, v.opposed])).toEqual([[2, true, 250]]);
    // The same frames on clipping alone: the second reporter holds too few, so nobody is flagged.
    expect(judgeSenders([flip(0, 100, 0), flip(1, 30, 0)], T)).toEqual([]);
    expect(judgeSenders([flip(0, 2, 3), flip(1, 1, 4)], T)).toEqual([]);
    // Opposed alone at ejectOpposedShare from two reporters ejects, far below ejectClipShare ...
    const atShare = Math.ceil(200 * T.ejectOpposedShare);
    expect(judgeSenders([flip(0, 0, atShare), flip(1, 0, atShare)], T).map((v) => [v.sender, v.eject, v.grounds])).toEqual([[2, true, ['opposed']]]);
    expect(judgeSenders([flip(0, 0, atShare), flip(1, 0, atShare - 1)], T)).toEqual([]);
    // ... even when the sender's own report holds everyone as mostly clipped (a straggler's excuse).
    const excuse: PeerEvidence = { reporter: 2, evidence: [0, 1, 3].map((peer) => ({ peer, frames: 200, refused: 0, clipped: 200, frozen: 0 })) };
    expect(judgeSenders([flip(0, 0, atShare), flip(1, 0, atShare), excuse], T).find((v) => v.sender === 2)?.eject).toBe(true);
    expect(judgeSenders([flip(0, 190, 0), flip(1, 190, 0), excuse], T).find((v) => v.sender === 2)?.eject).toBe(false);
  });

  it('running sums opposed at ejectOpposedShare of at least minFrames of them, from two reporters, eject on their own', () => {
    const sums = (reporter: number, massFrames: number, massOpposed: number): PeerEvidence => ({
      reporter,
      evidence: [{ peer: 2, frames: 200, refused: 0, clipped: 0, frozen: 0, opposed: 0, massFrames, massOpposed }],
    });
    const atShare = Math.ceil(400 * T.ejectOpposedShare);
    const v = judgeSenders([sums(0, 400, atShare), sums(1, 400, 400)], T);
    expect(v.map((x) => [x.sender, x.eject, x.massOpposed, x.massFrames, x.grounds])).toEqual([[2, true, atShare + 400, 800, ['mass-opposed']]]);
    expect(judgeSenders([sums(0, 400, atShare), sums(1, 400, atShare - 1)], T)).toEqual([]);
    expect(judgeSenders([sums(0, T.minFrames - 1, T.minFrames - 1), sums(1, T.minFrames - 1, T.minFrames - 1)], T)).toEqual([]);
    expect(judgeSenders([sums(0, 400, 400)], T)).toEqual([]); // one reporter may be the liar
  });

  it('needs enough frames before clipping counts, and ignores the few clipped frames an honest neighbour gets', () => {
    expect(judgeSenders([clippedBy(0, 2, 1, T.minFrames - 1), clippedBy(1, 2, 1, T.minFrames - 1)], T)).toEqual([]);
    const honest: EvidenceAgainst = { peer: 2, frames: 1000, refused: 0, clipped: 110, frozen: 0 };
    expect(judgeSenders([{ reporter: 0, evidence: [honest] }, { reporter: 1, evidence: [honest] }], T)).toEqual([]);
  });

  it('ejects at most maxEjectShare of the reporters in one verdict, the best-evidenced first; the rest stay flagged', () => {
    // 8 reporters: at most 2 ejected. Senders 5 and 6 are refused by three peers, 1..4 by two.
    const reports: PeerEvidence[] = Array.from({ length: 8 }, (_, r) => ({
      reporter: r,
      evidence: [1, 2, 3, 4, 5, 6]
        .filter((peer) => peer !== r && (peer >= 5 ? r < 3 || r === 7 : r === 0 || r === 7))
        .map((peer) => ({ peer, frames: 400, refused: T.minRefused, clipped: 0, frozen: 0 })),
    }));
    const v = judgeSenders(reports, T);
    expect(v.map((x) => x.sender)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(v.filter((x) => x.eject).map((x) => x.sender)).toEqual([5, 6]);
  });

  it('a straggler (far from everyone, by its own report too) is flagged, not ejected, for clipping; refusals still eject it', () => {
    const straggler: PeerEvidence = { reporter: 2, evidence: [0, 1, 3].map((peer) => ({ peer, frames: 200, refused: 0, clipped: 190, frozen: 0 })) };
    const v = judgeSenders([clippedBy(0, 2, 1), clippedBy(1, 2, 1), straggler], T);
    // Flagged, not ejected; its own accusations (one reporter each) flag nobody.
    expect(v.map((x) => [x.sender, x.eject])).toEqual([[2, false]]);
    // A sign-flipper mixes its own model honestly: its report holds nobody as mostly clipped.
    const flipper: PeerEvidence = { reporter: 2, evidence: [0, 1, 3].map((peer) => ({ peer, frames: 200, refused: 0, clipped: 5, frozen: 0 })) };
    expect(judgeSenders([clippedBy(0, 2, 1), clippedBy(1, 2, 1), flipper], T).map((x) => [x.sender, x.eject])).toEqual([[2, true]]);
    expect(judgeSenders([refusedBy(0, 2), refusedBy(1, 2), straggler], T).find((x) => x.sender === 2)?.eject).toBe(true);
  });

  it('ejectClipShare above 1 turns ejection on clipping off', () => {
    const off = { ...T, ejectClipShare: 2 };
    expect(judgeSenders([clippedBy(0, 2, 1), clippedBy(1, 2, 1)], off).map((v) => v.eject)).toEqual([false]);
  });
});
