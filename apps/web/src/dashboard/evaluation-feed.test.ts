import { describe, expect, it } from 'vitest';
import { EvaluationFeed } from './evaluation-feed';
import type { Evaluation } from './types';

const ev = (t: number, runId = 'r', verdict: Evaluation['verdict'] = 'trusted'): Evaluation => ({
  t, runId, peerId: 0, snapshotSteps: t, snapshotAgeMs: 100, samples: t * 10, accuracy: 0.5, loss: 1, testCount: 10_000, evalMs: 5,
  verdict, reason: verdict === 'rejected' ? 'its parameter norm is too large' : null, paramNorm: 10, maxAbs: 1,
});

describe('EvaluationFeed', () => {
  it('lists an evaluation stored after GET evaluations was answered but broadcast before the socket joined', () => {
    // The order of fresh-clone CI s29b's failure: history loaded (no evaluations yet), the server
    // stored and broadcast the rejected snapshot to no observer, then the socket joined.
    const feed = new EvaluationFeed(100);
    feed.loaded('r');
    expect(feed.fetched('r', [])).toBe(false);
    const rejected = ev(5, 'r', 'rejected');
    expect(feed.observing('r')).toBe(true);
    expect(feed.fetched('r', [rejected])).toBe(true);
    expect(feed.list).toEqual([rejected]);
  });

  it('keeps live evaluations that arrive before GET /api/run has answered, and merges the history with them', () => {
    const feed = new EvaluationFeed(100);
    expect(feed.live(ev(1))).toBe(false); // no run named yet: nothing to match it to
    feed.observing('r');
    expect(feed.live(ev(3))).toBe(true);
    feed.loaded('r');
    feed.fetched('r', [ev(2), ev(3)]);
    expect(feed.list.map((e) => e.t)).toEqual([2, 3]);
    expect(feed.live(ev(3))).toBe(false); // a duplicate changes nothing
  });

  it('drops another run: a stale answer, a foreign event, the old run after a new one loads', () => {
    const feed = new EvaluationFeed(100);
    feed.loaded('a');
    feed.fetched('a', [ev(1, 'a'), ev(2, 'a')]);
    expect(feed.live(ev(3, 'b'))).toBe(false);
    // A reconnect lands in run b: the page reloads (load names b), so no fetch on the old run's account.
    expect(feed.observing('b')).toBe(false);
    expect(feed.fetched('b', [ev(3, 'b')])).toBe(false);
    feed.loaded('b');
    expect(feed.list).toEqual([]);
    expect(feed.fetched('a', [ev(4, 'a')])).toBe(false);
    expect(feed.fetched('b', [ev(3, 'b'), ev(9, 'a')])).toBe(true);
    expect(feed.list.map((e) => [e.runId, e.t])).toEqual([['b', 3]]);
  });
});
