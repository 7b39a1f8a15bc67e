import { describe, expect, it } from 'vitest';
import { ClipRadius, RobustPull, clipInto, distance } from './robust-clip';
import { ROBUST_DEFAULTS } from './robust-config';
import { Rng } from './rng';

describe('ClipRadius', () => {
  it('is Infinity before any distance, then multiplier x the lower median over senders', () => {
    const r = new ClipRadius(2, { multiplier: 3 });
    expect(r.radius(0)).toBe(Infinity);
    r.record(0, 10, 4);
    expect(r.radius(0)).toBe(3 * 4);
    r.record(0, 11, 1000); // a wild sender among two: the lower median is the honest one
    expect(r.radius(0)).toBe(3 * 4);
    r.record(0, 12, 2);
    expect(r.radius(0)).toBe(3 * 4); // median of 2, 4, 1000
    expect(r.radius(1)).toBe(Infinity); // blocks are independent
  });

  it('a distance of 0 (a copy of our own block, as every peer of a fresh run starts) is no vote: the radius does not collapse to 0', () => {
    const r = new ClipRadius(1, { multiplier: 3 });
    r.record(0, 10, 0);
    expect(r.radius(0)).toBe(Infinity);
    r.record(0, 10, 2);
    expect(r.radius(0)).toBe(3 * 2);
    r.record(0, 10, 0);
    expect(r.radius(0)).toBe(3 * 2);
  });

  it('a sender whose first frame was a copy of ours is mixed, not clipped onto our block, once it moves', () => {
    const r = new RobustPull(1, 2);
    const own = new Float32Array([1, 1]);
    r.pull(0, 5, 0, own.slice(), own);
    const moved = new Float32Array([1.5, 1]);
    const out = r.pull(0, 5, 0, moved, own);
    expect(r.clipped).toBe(false);
    expect(Array.from(out)).toEqual([1.5, 1]);
  });

  it('a hostile sender that sends far more often does not move the radius (per sender, not per frame)', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 1, 2);
    r.record(0, 2, 3);
    for (let i = 0; i < 100; i++) r.record(0, 9, 1e6);
    expect(r.radius(0)).toBe(3);
  });

  it('two hostile of three senders cannot widen a model radius: past hijackSpread the receiver’s own pick stands', () => {
    const r = new ClipRadius(1, { multiplier: 3 });
    r.record(0, 1, 0.5);
    r.record(0, 6, 5e5);
    r.record(0, 7, 6e5);
    expect(r.radius(0)).toBe(3 * 0.5); // the senders' lower median alone would be 5e5
    const honest = new ClipRadius(1, { multiplier: 3 });
    honest.record(0, 1, 0.5);
    honest.record(0, 2, 0.5 * ROBUST_DEFAULTS.hijackSpread * 0.9); // a far honest spread: theirs stands
    honest.record(0, 3, 0.5 * ROBUST_DEFAULTS.hijackSpread);
    expect(honest.radius(0)).toBe(3 * 0.5 * ROBUST_DEFAULTS.hijackSpread * 0.9);
  });

  it('tracker mass: the receiver’s own vote counts from the first frame and among hostile senders', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    expect(r.radius(0, 2)).toBe(2); // no sender heard: our own increment
    expect(r.radius(0, 0)).toBe(0); // before our first gradient nothing is taken
    r.record(0, 6, 1e6);
    expect(r.radius(0, 2)).toBe(2); // lower median of 2 and 1e6
    r.record(0, 1, 3);
    r.record(0, 7, 1e6);
    expect(r.radius(0, 2)).toBe(3); // 2, 3, 1e6, 1e6: the senders' own would be 1e6
  });

  it('retain forgets the senders that are no longer neighbours', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 1, 1e-9); // an old neighbour's distance from near convergence
    r.record(0, 2, 4);
    r.record(0, 3, 5);
    r.retain([2, 3, 4]);
    expect(r.radius(0)).toBe(4);
    expect(r.heardCount).toBe(2);
  });

  it('follows a sender’s recent distances, and forgets the least recently heard sender when full', () => {
    const r = new ClipRadius(1, { multiplier: 1, window: 1, senders: 2 });
    r.record(0, 1, 100);
    r.record(0, 1, 5); // window 1: the average is the latest distance
    expect(r.radius(0)).toBe(5);
    r.record(0, 2, 7);
    r.record(0, 3, 9); // sender 1 was heard least recently: its slot goes to sender 3
    expect(r.radius(0)).toBe(7);
  });
});

describe('clipInto', () => {
  const own = new Float32Array([1, 1, 1, 1]);

  it('copies a block within the radius unchanged', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 5, 10);
    const y = new Float32Array([2, 0, 1, 1]);
    const dst = new Float32Array(4);
    expect(clipInto(r, 0, 5, y, 0, own, 0, dst, 0, 4)).toBe(false);
    expect([...dst]).toEqual([2, 0, 1, 1]);
  });

  it('pulls a far block back to the radius along the same direction, and records its raw distance', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 5, 0.5);
    const y = new Float32Array([1 - 1e6, 1, 1, 1]); // a sign-flipped, scaled copy
    const dst = new Float32Array(4);
    expect(clipInto(r, 0, 6, y, 0, own, 0, dst, 0, 4)).toBe(true);
    expect(distance(dst, 0, own, 0, 4)).toBeCloseTo(0.5, 5);
    expect(dst[0]).toBeCloseTo(0.5, 5);
    expect(dst[1]).toBe(1);
    // The raw distance was recorded under its sender (lower median of 0.5 and 1e6: still 0.5).
    expect(r.radius(0)).toBe(0.5);
  });

  it('with fewer than two senders heard, moves a block by at most the multiplier times its own norm (a scaled first frame)', () => {
    const r = new ClipRadius(1, { multiplier: 3 }); // nothing heard: the median radius is Infinity
    const y = own.map((v) => 1e6 * v);
    const dst = new Float32Array(4);
    expect(clipInto(r, 0, 7, y, 0, own, 0, dst, 0, 4)).toBe(true);
    expect(distance(dst, 0, own, 0, 4)).toBeCloseTo(3 * 2, 4); // ||own|| = 2
    // Its only sender's own (huge) distance does not widen the cap either.
    expect(clipInto(r, 0, 7, y, 0, own, 0, dst, 0, 4)).toBe(true);
    expect(distance(dst, 0, own, 0, 4)).toBeCloseTo(6, 4);
  });

  it('does not mix a far block that points against ours once two senders are heard: our own block stands in', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 5, 0.5);
    const dst = new Float32Array(4);
    const flipped = own.map((v) => -3 * v); // distance 8, against ours
    // One sender heard: no median to trust, so it is clipped along its direction, as before.
    expect(clipInto(r, 0, 6, flipped, 0, own, 0, dst, 0, 4)).toBe(true);
    expect(distance(dst, 0, own, 0, 4)).toBeCloseTo(0.5, 5);
    // Two heard (lower median 0.5): our own block stands in, and it still counts as clipped.
    expect(clipInto(r, 0, 6, flipped, 0, own, 0, dst, 0, 4)).toBe(true);
    expect([...dst]).toEqual([...own]);
    expect(r.lastOpposed).toBe(true);
    // As far, but not against ours: clipped to the radius, not replaced.
    const far = new Float32Array([5, 1, 1, 1]);
    expect(clipInto(r, 0, 6, far, 0, own, 0, dst, 0, 4)).toBe(true);
    expect(dst[0]).toBeCloseTo(1.5, 5);
    // Against ours but within the radius: taken as it is (and counted as opposed by the caller).
    const near = new Float32Array([-0.1, -0.1, -0.1, -0.1]);
    r.record(0, 7, 100);
    r.record(0, 8, 100);
    expect(clipInto(r, 0, 6, near, 0, own, 0, dst, 0, 4)).toBe(false);
    expect([...dst]).toEqual([...near]);
    expect(r.lastOpposed).toBe(true);
  });

  it('says whether a block points against ours (a sign flip), within the radius or not; a zero block never does', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 5, 100);
    r.record(0, 6, 100);
    const dst = new Float32Array(4);
    const flipped = new Float32Array([-0.01, -0.01, -0.01, -0.02]); // near zero, so within the radius
    expect(clipInto(r, 0, 5, flipped, 0, own, 0, dst, 0, 4)).toBe(false);
    expect(r.lastOpposed).toBe(true);
    // Cosine -0.22: against (the bound is 0); orthogonal is not.
    clipInto(r, 0, 5, new Float32Array([-1, 0.5, 0, 0]), 0, own, 0, dst, 0, 4);
    expect(r.lastOpposed).toBe(true);
    clipInto(r, 0, 5, new Float32Array([-1, 1, 0, 0]), 0, own, 0, dst, 0, 4);
    expect(r.lastOpposed).toBe(false);
    clipInto(r, 0, 5, new Float32Array([-1, 1.5, 0, 0]), 0, own, 0, dst, 0, 4);
    expect(r.lastOpposed).toBe(false);
    clipInto(r, 0, 5, new Float32Array(4), 0, own, 0, dst, 0, 4);
    expect(r.lastOpposed).toBe(false);
    clipInto(r, 0, 5, flipped, 0, new Float32Array(4), 0, dst, 0, 4);
    expect(r.lastOpposed).toBe(false);
    // Far and flipped: our block stands in; clipped and opposed (the evidence counts it once, as clipped).
    expect(clipInto(r, 0, 5, own.map((v) => -1e4 * v), 0, own, 0, dst, 0, 4)).toBe(true);
    expect(r.lastOpposed).toBe(true);
    expect([...dst]).toEqual([...own]);
  });

  it('counts a block that lies to one side of ours in more than skewShare of its coordinates as opposed (ALIE), and honest noise not', () => {
    const n = 1000;
    const rng = new Rng(4);
    const own = Float32Array.from({ length: n }, () => rng.normal());
    // Below ours in a given share of the coordinates, by small amounts (well within the radius).
    const oneSided = (share: number) => own.map((v, t) => v + (t < share * n ? -0.05 : 0.05) * (1 + rng.next()));
    const r = new ClipRadius(1, { multiplier: 3 });
    const dst = new Float32Array(n);
    for (let k = 0; k < 4; k++) {
      const honest = own.map((v) => v + 0.1 * rng.normal());
      expect(clipInto(r, 0, 1 + k, honest, 0, own, 0, dst, 0, n)).toBe(false);
      expect(r.lastOpposed).toBe(false);
    }
    const skew = ROBUST_DEFAULTS.skewShare;
    expect(clipInto(r, 0, 9, oneSided(skew + 0.05), 0, own, 0, dst, 0, n)).toBe(false); // within the radius...
    expect(r.lastOpposed).toBe(true); // ...but one-sided
    clipInto(r, 0, 9, oneSided(1 - skew - 0.05), 0, own, 0, dst, 0, n); // above ours, as one-sided
    expect(r.lastOpposed).toBe(true);
    clipInto(r, 0, 9, oneSided(skew - 0.05), 0, own, 0, dst, 0, n);
    expect(r.lastOpposed).toBe(false);
    // Too few differing coordinates say nothing: a block equal to ours but for a few, all below.
    const few = own.slice();
    for (let t = 0; t < ROBUST_DEFAULTS.skewMinCoords - 1; t++) few[t] -= 0.01;
    clipInto(r, 0, 1, few, 0, own, 0, dst, 0, n);
    expect(r.lastOpposed).toBe(false);
  });

  it('works at offsets, in place', () => {
    const r = new ClipRadius(1, { multiplier: 1 });
    r.record(0, 5, 1);
    const buf = new Float64Array([9, 9, 5, 1]);
    const c = new Float64Array([0, 1, 1]);
    expect(clipInto(r, 0, 5, buf, 2, c, 1, buf, 2, 2)).toBe(true);
    expect(buf[0]).toBe(9);
    expect(buf[2]).toBeCloseTo(2, 12);
    expect(buf[3]).toBe(1);
  });
});

describe('RobustPull frozen check', () => {
  const own = new Float32Array([1, 1, 1, 1]);
  const a = new Float32Array([1.1, 1, 1, 1]);
  const b = new Float32Array([1.2, 1, 1, 1]);

  it('every frame news (D-PSGD rounds): the same payload twice is frozen, a moved one is not', () => {
    const r = new RobustPull(2, 4);
    r.pull(0, 5, 0, a, own, true);
    expect(r.frozen).toBe(false);
    r.pull(0, 5, 0, a, own, true);
    expect(r.frozen).toBe(true);
    r.pull(0, 5, 0, b, own, true);
    expect(r.frozen).toBe(false);
    r.pull(1, 5, 0, b, own, true); // another block's first frame
    expect(r.frozen).toBe(false);
    r.pull(0, 6, 0, b, own, true); // another sender's first frame
    expect(r.frozen).toBe(false);
  });

  it('versioned (gossip): a repeat of a version is not news; a newer version with the old payload is frozen', () => {
    const r = new RobustPull(1, 4);
    r.pull(0, 5, 0, a, own, 3);
    r.pull(0, 5, 0, a, own, 3);
    expect(r.frozen).toBe(false);
    r.pull(0, 5, 0, a, own, 4);
    expect(r.frozen).toBe(true);
  });

  it('a repeat equal to our own block is consensus (a block no gradient touches), not a replay; one that is not stays frozen', () => {
    const r = new RobustPull(1, 4);
    const mine = new Float32Array([0, 0, 1, 1, 1, 1]); // our block at offset 2 equals `own`
    r.pull(0, 5, 2, own, mine, true);
    r.pull(0, 5, 2, own, mine, true);
    expect(r.frozen).toBe(false);
    r.pull(0, 5, 2, a, mine, true);
    r.pull(0, 5, 2, a, mine, true);
    expect(r.frozen).toBe(true);
  });

  it('consensus up to float32 rounding: a repeat one ulp from our block is not a replay', () => {
    const r = new RobustPull(1, 4);
    const mine = new Float32Array([0.3, -0.7, 0, 1e-3]);
    const theirs = mine.slice();
    theirs[0] = Math.fround(0.3 + 3e-8); // the next float32 above fround(0.3)
    expect(theirs[0]).not.toBe(mine[0]);
    r.pull(0, 5, 0, theirs, mine, true);
    r.pull(0, 5, 0, theirs, mine, true);
    expect(r.frozen).toBe(false);
  });

  it('no check without news (AD-PSGD)', () => {
    const r = new RobustPull(1, 4);
    r.pull(0, 5, 0, a, own);
    r.pull(0, 5, 0, a, own);
    expect(r.frozen).toBe(false);
  });
});

