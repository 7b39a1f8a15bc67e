import { describe, expect, it } from 'vitest';
import { Evidence, type ProbationTuning } from './robust-evidence';

const T: ProbationTuning = { afterSteps: 10, windowSteps: 2, maxSteps: 50 };
const BLOCKS = 2;

/** One mixed model frame of `from`, as the algorithms count it: frame() on arrival, mixed() once judged. */
function mix(e: Evidence, from: number, clipped: boolean, frames = 1): void {
  for (let i = 0; i < frames; i++) {
    e.frame(from);
    e.mixed(from, clipped, false, false);
  }
}

/** Unclipped frames of `from` until its probation ends (at most windowSteps' worth). */
function mixIn(e: Evidence, from: number): number {
  let n = 0;
  while (e.probation(from) && n <= T.windowSteps * BLOCKS) {
    mix(e, from, false);
    n++;
  }
  return n;
}

/** A receiver whose first senders (0, 1, and 5 not heard yet) have settled, told of joiner 7 since. */
function settled(): Evidence {
  const e = new Evidence(BLOCKS, T);
  e.meet([0, 1, 5]);
  mix(e, 0, false, T.afterSteps * BLOCKS);
  e.meet([0, 1, 5, 7]);
  return e;
}

describe('Evidence', () => {
  it('holds every clipped, frozen and opposed frame of a sender heard from the start against it', () => {
    const e = new Evidence(BLOCKS, T);
    e.meet([0, 1]);
    mix(e, 1, true, 30);
    e.frame(1);
    e.mixed(1, false, true, false);
    e.frame(1);
    e.mixed(1, false, false, true);
    expect(e.probation(1)).toBe(false);
    expect(e.snapshot().get(1)).toMatchObject({ frames: 32, clipped: 30, frozen: 1, opposed: 1 });
  });

  it('a member of the first list heard late (a new epoch made it a neighbour) is judged at once: only joiners get a probation', () => {
    const e = settled();
    mix(e, 5, true, 40);
    expect(e.probation(5)).toBe(false);
    expect(e.snapshot().get(5)).toMatchObject({ frames: 40, clipped: 40 });
    // A joiner heard before the receiver settled is judged at once too (a run's first minute).
    const early = new Evidence(BLOCKS, T);
    early.meet([0]);
    early.meet([0, 7]);
    mix(early, 7, true, 5);
    expect(early.probation(7)).toBe(false);
  });

  it('a joiner first heard after the receiver settled is on probation until most of its frames pass unclipped; then only what follows counts', () => {
    const e = settled();
    mix(e, 7, true, 40); // a joiner still far from the swarm: clipped, not held against it
    expect(e.probation(7)).toBe(true);
    expect(e.snapshot().get(7)).toMatchObject({ frames: 40, clipped: 0 });
    // Mixed its way in: the clipped share's average falls below a half within the window.
    expect(mixIn(e, 7)).toBeLessThanOrEqual(T.windowSteps * BLOCKS);
    expect(e.probation(7)).toBe(false);
    expect(e.snapshot().get(7)).toMatchObject({ frames: 0, clipped: 0 });
    mix(e, 7, true, 2);
    mix(e, 7, false, 8);
    expect(e.snapshot().get(7)).toMatchObject({ frames: 10, clipped: 2 });
  });

  it('a sender clipped throughout is judged like anyone after maxSteps steps of frames', () => {
    const e = settled();
    mix(e, 7, true, T.maxSteps * BLOCKS - 1);
    expect(e.probation(7)).toBe(true);
    mix(e, 7, true, 1);
    expect(e.probation(7)).toBe(false);
    mix(e, 7, true, 60);
    expect(e.snapshot().get(7)).toMatchObject({ frames: 60, clipped: 60 });
  });

  it('a frozen or opposed frame ends the probation at once and counts: an honest joiner sends neither', () => {
    for (const [frozen, opposed] of [
      [true, false],
      [false, true],
    ]) {
      const e = settled();
      mix(e, 7, true, 10);
      e.frame(7);
      e.mixed(7, true, frozen, opposed);
      expect(e.probation(7)).toBe(false);
      expect(e.snapshot().get(7)).toMatchObject({ frames: 1, clipped: 1, frozen: frozen ? 1 : 0 });
    }
  });

  it('a member that leaves and joins again starts a new probation; what its former life earned but refusals is forgotten', () => {
    const e = settled();
    mix(e, 5, true, 30);
    e.frame(5);
    e.note(5, 'magnitude');
    e.meet([0, 1, 7]); // 5 left
    e.meet([0, 1, 5, 7]); // and is back, with another model
    mix(e, 5, true, 10);
    expect(e.probation(5)).toBe(true);
    expect(e.snapshot().get(5)).toMatchObject({ clipped: 0, magnitude: 1 });
  });

  it('refusals count on probation too, and survive its end', () => {
    const e = settled();
    e.frame(7);
    e.note(7, 'magnitude');
    e.frame(7);
    e.note(7, 'seqJumps');
    mixIn(e, 7);
    expect(e.probation(7)).toBe(false);
    expect(e.snapshot().get(7)).toMatchObject({ frames: 2, magnitude: 1, seqJumps: 1 });
  });
});
