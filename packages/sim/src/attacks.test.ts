/**
 * Hostile peers in the simulator (attacks.ts) against R-FAST's robust mixing: one peer of 8 on the
 * least-squares problem; figures are over the 7 honest peers.
 */
import { describe, expect, it } from 'vitest';
import { createAlgorithm, MsgKind, type Algorithm, type Envelope } from '@starling/core';
import type { AttackKind } from './attacks';
import { hostileFactory } from './attacks';
import { SimConfigError } from './errors';
import { runSimulation } from './simulator';
import { lsConfig } from './test-support';
import type { SimResult } from './types';

const HOSTILE = 3;
/**
 * R-FAST at the spec's push share (d/(d+1) = 3/4 on the exponential graph of 8), at which these
 * thresholds were measured. At the default share (0.1) and a stable lr of 0.2 the separation holds
 * (measured clip / off, seed 1: sign-flip 1.5e-7 / 0.94, scaled sums 0.17 / 1.2e13), but 11% of a
 * clean run's frames are clipped and it ends 6e-5 from the optimum, not 1e-6. A replay is not
 * helped by clipping (0.56 either way: its old frames sit within a few radii); the verdict's
 * frozen evidence stops it (referee.test.ts).
 */
const SPEC_SHARE = 3 / 4;

function run(robust: 'clip' | 'off', kind: AttackKind | null, payloads?: 'model' | 'tracker', algorithm: 'rfast' | 'dpsgd' | 'gossip' = 'rfast', scale?: number): SimResult {
  return runSimulation(
    lsConfig({
      algorithm,
      settings: algorithm === 'rfast' ? { lr: 0.4, robust, pushShare: SPEC_SHARE } : { lr: 0.1, robust },
      createAlgorithm: kind === null ? undefined : hostileFactory({ kind, ids: [HOSTILE], payloads, scale }, 1),
    }),
  );
}

const honest = (r: SimResult) => r.peers.filter((p) => p.id !== HOSTILE);
const worstError = (r: SimResult) => Math.max(...honest(r).map((p) => p.relError));

describe('hostile peers', () => {
  it('a hostile R-FAST peer sends from the slots of its current epoch, and grows with its inner algorithm', () => {
    const nb = (ids: number[]) => ({ rIn: ids, rOut: ids, cIn: ids, cOut: ids, undirected: ids, members: [0, ...ids].sort((a, b) => a - b) });
    const make = hostileFactory({ kind: 'sign-flip', ids: [0] }, 1);
    const p = make('rfast', { id: 0, x0: new Float32Array(4), lr: 0.1, blockSize: 4, epoch: 0, neighbours: nb([1, 2]) });
    p.applyGradient(new Float32Array([1, 2, 3, 4]));
    const v0 = p.slots!.version;
    p.setEpoch(1, nb([3]));
    expect(p.slots!.version).toBeGreaterThan(v0);
    expect(p.slots!.targets()).toEqual([3]);
    const t = p.slots!.nextPending(0, 0);
    expect(t).toBeGreaterThanOrEqual(0);
    expect(p.slots!.take(0, t).msg.epoch).toBe(1); // not a frame of the old epoch
    p.grow!(nb([3, 5]));
    expect(p.slots!.targets()).toEqual([3, 5]);
  });

  it('an ALIE R-FAST peer sends the mean minus one deviation of the compact (f16) models it decoded, not its own', () => {
    const nb = (self: number, ids: number[]) => ({ rIn: ids, rOut: ids, cIn: ids, cOut: ids, undirected: ids, members: [self, ...ids].sort((a, b) => a - b) });
    const dim = 4;
    const hostile = hostileFactory({ kind: 'alie', ids: [0] }, 1)('rfast', { id: 0, x0: new Float32Array(dim), lr: 0.1, blockSize: dim, epoch: 0, neighbours: nb(0, [1, 2]) });
    // Two honest peers on the default compact encoding, with different models.
    const honest = [1, 2].map((id) => createAlgorithm('rfast', { id, x0: Float32Array.from({ length: dim }, (_, t) => id * (t + 1)), lr: 0.1, blockSize: dim, epoch: 0, neighbours: nb(id, [0]) }));
    for (const h of honest) {
      h.applyGradient(new Float32Array(dim));
      for (const t of h.slots!.targets().keys()) {
        for (let k = h.slots!.nextPending(t, 0); k >= 0; k = h.slots!.nextPending(t, k + 1)) {
          const e = h.slots!.take(t, k);
          if (e.msg.kind === MsgKind.RfastV) expect(e.msg.data).not.toBeInstanceOf(Float32Array); // compact: f16 codes
          hostile.receive(e.msg);
        }
      }
    }
    hostile.applyGradient(new Float32Array(dim));
    const sent: Envelope[] = [];
    for (const t of hostile.slots!.targets().keys()) {
      for (let k = hostile.slots!.nextPending(t, 0); k >= 0; k = hostile.slots!.nextPending(t, k + 1)) sent.push(hostile.slots!.take(t, k));
    }
    const v = sent.find((e) => e.msg.kind === MsgKind.RfastV)!;
    // Peers 1 and 2 hold t + 1 and 2(t + 1): mean 1.5(t + 1), deviation 0.5(t + 1) -> (t + 1).
    expect(Array.from(v.msg.data as Float32Array)).toEqual([1, 2, 3, 4].map((x) => expect.closeTo(x, 2)));
  });

  it('refuses an unknown attack', () => {
    expect(() => hostileFactory({ kind: 'bribe' as AttackKind, ids: [0] }, 1)).toThrow(SimConfigError);
  });

  it('robust mixing costs a clean run nothing: the exact optimum, about 1% of frames clipped', () => {
    const r = run('clip', null);
    expect(r.final.relErrorMax).toBeLessThan(1e-6);
    const clipped = r.peers.reduce((s, p) => s + (p.algo.clipped ?? 0), 0);
    const frames = r.peers.reduce((s, p) => s + p.algo.messagesIn, 0);
    expect(clipped).toBeGreaterThan(0);
    expect(clipped / frames).toBeLessThan(0.03);
  });

  it('x1e6 scaled frames are refused for their magnitude, and the honest peers still reach the optimum', () => {
    const r = run('clip', 'scale', 'model');
    expect(worstError(r)).toBeLessThan(1e-6);
    expect(honest(r).reduce((s, p) => s + p.algo.rejected, 0)).toBeGreaterThan(100);
  });

  it('a sign-flipped model is not mixed (the receiver’s own block stands in), so the honest peers still reach the optimum', () => {
    // Measured 6.7e-8 (clipping it to the radius instead: 0.78; mixing what arrives: 0.87).
    expect(worstError(run('clip', 'sign-flip', 'model'))).toBeLessThan(1e-6);
  });

  // Measured (this file's configuration, deterministic): clip / off worst honest error.
  it('noise on model frames: clipping leaves the honest peers closer to the optimum than mixing what arrives', () => {
    // Measured 0.13 against 0.20.
    const on = run('clip', 'noise', 'model');
    const off = run('off', 'noise', 'model');
    expect(worstError(on)).toBeLessThan(0.8 * worstError(off));
  });

  it('x1e6 scaled running sums are refused for their mass (they would feed z a cap at every step for ever): bounded, not diverged', () => {
    const on = run('clip', 'scale', 'tracker');
    const off = run('off', 'scale', 'tracker');
    // Measured 0.40 against 2.0e10: what is left is the honest mass the attacker kept, until the
    // server ejects it and the new epoch resets every tracker.
    expect(worstError(on)).toBeLessThan(0.5);
    expect(worstError(off)).toBeGreaterThan(1e6);
    expect(honest(on).reduce((s, p) => s + p.algo.rejected, 0)).toBeGreaterThan(1000);
  });

  it('two x1e6 senders among a peer’s three in-neighbours cannot widen its radii: bounded, not diverged', () => {
    // Peers 6 and 7 send to peer 0 on the exponential graph (i -> i + 1, i + 2, i + 4), so two of
    // its three in-neighbours are hostile and their lower median is a hostile one's. Measured
    // worst honest error 0.31; 8.4e4 while the radii took the senders' median alone.
    const r = runSimulation(
      lsConfig({
        settings: { lr: 0.4, robust: 'clip', pushShare: SPEC_SHARE },
        createAlgorithm: hostileFactory({ kind: 'scale', ids: [6, 7] }, 1),
      }),
    );
    const fair = r.peers.filter((p) => p.id < 6);
    expect(Math.max(...fair.map((p) => p.relError))).toBeLessThan(1);
  });

  // The gossip baselines clip too (measured worst honest error, clip / off: D-PSGD x1000 0.91 /
  // 4.6e3, gossip noise 0.32 / 0.50; sign flips, whose frames are not mixed: D-PSGD 0.19 / 0.83,
  // gossip 0.15 / 0.98, against 0.78 and 0.98 when they were clipped; clean runs are unchanged). x1000, not x1e6: D-PSGD refuses
  // x1e6 models for their magnitude with robust mixing off too (0.19 either way), now that a
  // refused block no longer stalls its round.
  it.each([
    ['dpsgd', 'scale', 1e3, 1, 1000],
    ['gossip', 'noise', undefined, 0.4, 0.45],
    ['dpsgd', 'sign-flip', undefined, 0.25, 0.5],
    ['gossip', 'sign-flip', undefined, 0.25, 0.5],
  ] as const)('%s with a %s attacker: clipping keeps the honest peers closer to the optimum', (algorithm, kind, scale, clipBelow, offAbove) => {
    expect(worstError(run('clip', kind, undefined, algorithm, scale))).toBeLessThan(clipBelow);
    expect(worstError(run('off', kind, undefined, algorithm, scale))).toBeGreaterThan(offAbove);
    expect(worstError(run('clip', null, undefined, algorithm))).toBeCloseTo(worstError(run('off', null, undefined, algorithm)), 2);
  });

  // Not a verdict: at the equilibrium a sign flip drives the models to, the flipped copies are only
  // a few radii away (measured median 1.3-3.9), about as far as a disturbed honest neighbour's.
  it('the hostile sender is the most clipped sender at each of its receivers', () => {
    const made: Algorithm[] = [];
    const inner = hostileFactory({ kind: 'sign-flip', ids: [HOSTILE], payloads: 'model' }, 1);
    runSimulation(
      lsConfig({
        settings: { lr: 0.4, robust: 'clip', pushShare: SPEC_SHARE },
        createAlgorithm: (name, opts) => {
          const a = inner(name, opts);
          made.push(a);
          return a;
        },
      }),
    );
    let receivers = 0;
    for (const a of made) {
      if (a.id === HOSTILE) continue;
      const ev = a.senderEvidence?.() ?? new Map();
      const bad = ev.get(HOSTILE);
      if (bad === undefined || bad.clipped === 0) continue; // it sends this peer tracker mass only
      receivers++;
      for (const [from, e] of ev) if (from !== HOSTILE) expect(e.clipped).toBeLessThan(bad.clipped);
    }
    expect(receivers).toBe(3); // its out-neighbours in the exponential graph of 8
  });
});
