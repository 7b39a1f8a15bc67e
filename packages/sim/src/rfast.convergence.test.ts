/**
 * R-FAST driven by the simulator reaches the exact optimum of a heterogeneous problem despite loss,
 * reordering and duplication; the naive variant does not; membership changes are survived.
 */
import { describe, expect, it } from 'vitest';
import type { RfastEncodingName } from '@starling/core';
import { runSimulation } from './simulator';
import { lsConfig } from './test-support';
import type { SimConfig, TopologySpec } from './types';

const N = 8;
/**
 * Step sizes. Exponential graph: u_i = 1/n, so z_i tracks the average gradient and lr is a plain
 * single-worker step. Star and tree pair: u_root = 1, the root's tracker holds the *sum* of the
 * gradients, so the step is divided by n (spec 1.1). Every correction there also travels
 * leaf -> root -> leaf over several hops, and that longer feedback delay tolerates a smaller gain:
 * the base is 0.05 on the star and 0.03 on the deeper tree. Both, and the exponential graph's 0.2,
 * are about half of what the spec's push share (d/(d+1)) allowed: with a push share of 0.1 a peer
 * descends mostly along its own shard's gradient between pushes (0.4 diverges at share 0.1).
 */
const LR: Record<'exponential' | 'star' | 'tree', number> = { exponential: 0.2, star: 0.05 / N, tree: 0.03 / N };
/**
 * The push share those step sizes were sized for. The default (RFAST_DEFAULTS.pushShare, 0.02)
 * moves tracker mass five times slower: with it the exact optimum takes longer than these runs
 * last (exponential graph at 0% loss: 1.7e-5 off after 60 s), and at the tree's step size 50% loss
 * ended 4.9 off. The shaped-uplink tests below run the default.
 */
const SHARE = 0.1;

function lossy(kind: 'exponential' | 'star' | 'tree', loss: number, encoding: RfastEncodingName = 'f32'): SimConfig {
  const topology: TopologySpec = kind === 'tree' ? { kind, options: { branching: 2 } } : { kind };
  return lsConfig({
    n: N,
    settings: { lr: LR[kind], encoding, pushShare: SHARE },
    topology,
    network: { latency: 0.01, jitter: 0.03, loss, duplicate: 0.1 },
    stop: { time: 60 },
  });
}

describe('R-FAST in the simulator', () => {
  describe.each(['exponential', 'star', 'tree'] as const)('on %s', (kind) => {
    it.each([0, 0.2, 0.5])('reaches the least-squares optimum at %s loss with reordering and duplication', (loss) => {
      const r = runSimulation(lossy(kind, loss));
      expect(r.final.relErrorMax).toBeLessThan(1e-6);
      // The network really was hostile: messages were lost, duplicated (more deliveries than
      // survivors) and reordered (stale arrivals).
      const t = r.totals;
      if (loss > 0) expect(t.messagesDropped / (t.messagesSent - t.reliableSent)).toBeGreaterThan(loss * 0.9);
      expect(t.messagesDelivered).toBeGreaterThan(t.messagesSent - t.messagesDropped);
      expect(r.peers.reduce((s, p) => s + p.algo.stale, 0)).toBeGreaterThan(0);
      expect(r.records[0].relErrorMax).toBeGreaterThan(0.5); // it started far away
    });
  });

  // The platform's frames: compact deltas (acknowledged bases, rounding residual kept in z), sent by
  // the same scheduler as the peer runtime, through a shaped uplink shared by each peer's links.
  it.each(['f16-i8', 'i8', 'i4'] as const)('with compact frames (%s) and a shaped uplink, reaches the exact optimum with half the frames lost', (encoding) => {
    const config = lossy('exponential', 0.5, encoding);
    // 20 ms more latency and a shared uplink: a smaller step than on the plain links (mass waits in
    // z until the link takes it, so each peer takes a few steps on its own data in between).
    // The platform's default push share, not SHARE.
    config.settings = { lr: 0.2, encoding };
    config.network = { ...config.network, uplink: { bytesPerSec: 20_000, latencyMs: 20 } };
    const r = runSimulation(config);
    expect(r.final.relErrorMax).toBeLessThan(1e-6);
    expect(r.final.massInTransit).toBeGreaterThan(0); // measured: mass was on its way at the end
    expect(r.final.massInTransit).toBeLessThan(1);
    const t = r.totals;
    // acknowledgements and pace frames are reliable (never dropped): the unreliable frames lost ~50%
    expect(t.messagesDropped / (t.messagesSent - t.reliableSent)).toBeGreaterThan(0.45);
    expect(r.peers.reduce((s, p) => s + p.algo.stale, 0)).toBeGreaterThan(0);
  });

  it('reaches the optimum of a non-IID logistic regression (found by Newton) at 20% loss', () => {
    const r = runSimulation(
      lsConfig({
        settings: { lr: 0.6, pushShare: SHARE },
        problem: { kind: 'logistic', dim: 10, samplesPerPeer: 50, heterogeneity: 1 },
        network: { latency: 0.01, jitter: 0.03, loss: 0.2, duplicate: 0.1 },
      }),
    );
    expect(r.records[0].gap).toBeGreaterThan(0.1);
    expect(r.final.relErrorMax).toBeLessThan(1e-5);
    expect(r.final.gap).toBeLessThan(1e-10);
  });

  it('the naive variant (increments instead of running sums) misses the optimum under loss', () => {
    // No reordering here, so only loss can hurt the naive variant: at 0% loss it converges too.
    const cfg = (algorithm: 'rfast' | 'rfast-naive', loss: number): SimConfig =>
      lsConfig({ algorithm, settings: { lr: LR.exponential, pushShare: SHARE }, network: { latency: 0.01, jitter: 0.005, loss } });
    expect(runSimulation(cfg('rfast-naive', 0)).final.relErrorMax).toBeLessThan(1e-5);
    const naive = runSimulation(cfg('rfast-naive', 0.2)).final.relErrorMax;
    const robust = runSimulation(cfg('rfast', 0.2)).final.relErrorMax;
    expect(robust).toBeLessThan(1e-6);
    expect(naive).toBeGreaterThan(0.05);
  });

  // Both changes stay within the epoch by default (R-FAST, as the server does: the leaver's
  // neighbours unwind what they exchanged with it, the joiner is attached); 'epoch' rebuilds twice.
  for (const joins of ['grow', 'epoch'] as const) {
    it(`ends at the new optimum after one peer leaves and another joins (joins: ${joins})`, () => {
      // At the spec's push share: with the default one (RFAST_DEFAULTS.pushShare) the tracker mixes
      // so slowly that the new optimum takes about 25 times as long (measured 3e-6 off after 386 s).
      const base = lossy('exponential', 0.2);
      const r = runSimulation({
        ...base,
        settings: { ...base.settings, lr: 0.4, pushShare: 3 / 4 },
        membership: [{ time: 8, leave: [3] }, { time: 14, join: [N] }],
        joins: joins === 'grow' ? undefined : joins,
        stop: { time: 50 },
      });
      expect(r.epoch).toBe(joins === 'grow' ? 0 : 2); // nobody reset: the optimum below is reached by the unwind
      expect(r.final.live).toBe(N);
      expect(r.peers[3].alive).toBe(false);
      expect(r.peers[N].alive).toBe(true);
      expect(r.peers[N].steps).toBeGreaterThan(100);
      // The optimum moved (peer 3's shard left, peer 8's arrived) and every live peer found the new one.
      const before = runSimulation({ ...lossy('exponential', 0), stop: { time: 0 } });
      let moved = 0;
      for (let j = 0; j < r.optimum.length; j++) moved += (r.optimum[j] - before.optimum[j]) ** 2;
      expect(Math.sqrt(moved)).toBeGreaterThan(1e-2);
      expect(r.final.relErrorMax).toBeLessThan(1e-6);
      // Traffic of the departed peer that was still in flight was discarded, not delivered.
      expect(r.totals.messagesDiscarded).toBeGreaterThan(0);
    });
  }

  it('with robust mixing, a ring that a joiner grew into a triangle still converges', () => {
    // The joiner is attached to peers 0 and 1, copies peer 1's model and stays near it. With the
    // clip centred on their last v, peers 1 and 8 clipped most of peer 0's frames for the whole
    // run and it diverged (seeds 1-3: 2.0e-5, 0.32, 12.4); centred on x: 5.0e-7, 1.1e-5, 1.0e-4
    // (2.9e-7 to 2.0e-5 with robust mixing off). Seed 3 is the one that diverged.
    const r = runSimulation(
      lsConfig({
        topology: { kind: 'ring' },
        settings: { lr: 0.05, robust: 'clip' },
        membership: [{ time: 3, join: [N] }],
        stop: { time: 80 },
        seed: 3,
      }),
    );
    expect(r.epoch).toBe(0);
    expect(r.final.live).toBe(N + 1);
    const clipped = r.peers[1].algo.clipped ?? 0;
    // Peer 1 still clips: 8.3% of all its frames (model and mass) were clipped.
    expect(clipped / r.peers[1].algo.messagesIn).toBeGreaterThan(0.04);
    expect(r.final.relErrorMax).toBeLessThan(1e-3);
  });

  it('a change marked reset starts an epoch even where changes grow, and the peers still find the optimum', () => {
    const base = lossy('exponential', 0.2);
    const r = runSimulation({
      ...base,
      settings: { ...base.settings, lr: 0.4, pushShare: 3 / 4 },
      membership: [{ time: 8, leave: [3], reset: true }, { time: 14, join: [N] }],
      stop: { time: 50 },
    });
    expect(r.epoch).toBe(1); // the reset leave; the join still grows
    expect(r.final.relErrorMax).toBeLessThan(1e-6);
  });
});
