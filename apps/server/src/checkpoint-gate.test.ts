import { initialParams } from '@starling/training';
import { describe, expect, it } from 'vitest';
import { chanceLossOf, initialNormOf, judgeSnapshot, NormConsensus, paramStats, type GateContext } from './checkpoint-gate';
import { SERVER_TUNING } from './tuning';

const T = SERVER_TUNING;
const base: GateContext = { best: { loss: 0.3, accuracy: 0.9 }, chanceLoss: Math.log(10), initialNorm: 15, consensus: { norm: 25, peers: 3 } };
const judge = (e: { loss: number; accuracy: number }, norm: number, ctx: Partial<GateContext> = {}) => judgeSnapshot(e, { norm, maxAbs: 1 }, { ...base, ...ctx }, T);

describe('judgeSnapshot', () => {
  it('trusts a snapshot like the run\'s recent ones', () => {
    expect(judge({ loss: 0.35, accuracy: 0.89 }, 27)).toEqual({ trusted: true });
    expect(judge({ loss: 2.3, accuracy: 0.1 }, 15, { best: undefined, consensus: undefined })).toEqual({ trusted: true }); // x0 as the first
  });

  it.each([
    ['a NaN loss', { loss: NaN, accuracy: 0.9 }, 25, {}, /test loss is NaN/],
    ['an infinite loss', { loss: Infinity, accuracy: 0.9 }, 25, {}, /test loss is Infinity/],
    ['a loss far above the recent best', { loss: 1.2, accuracy: 0.9 }, 25, {}, /far above the run's recent best/],
    ['an accuracy drop', { loss: 0.3, accuracy: 0.8 }, 25, {}, /accuracy 0.8000 is more than 0.05 below/],
    ['a norm off the consensus', { loss: 0.3, accuracy: 0.9 }, 150, {}, /not within 4x of 25/],
    ['a norm collapsed below the consensus', { loss: 0.3, accuracy: 0.9 }, 5, {}, /not within 4x/],
    ['a garbage first snapshot (norm)', { loss: 2.3, accuracy: 0.1 }, 184_000, { best: undefined, consensus: undefined }, /above 20 x the initial/],
    ['a garbage first snapshot (loss)', { loss: 2.9e7, accuracy: 0.1 }, 20, { best: undefined, consensus: undefined }, /far above chance level/],
  ])('rejects %s', (_what, e, norm, ctx, reason) => {
    const v = judge(e, norm, ctx);
    expect(v.trusted).toBe(false);
    expect(!v.trusted && v.reason).toMatch(reason);
  });
});

describe('NormConsensus', () => {
  it('is the lower median of other peers\' recent norms, robust to one wild value', () => {
    const c = new NormConsensus(60_000);
    c.note(1, 20, 0);
    c.note(2, 22, 0);
    c.note(3, 1e6, 0);
    c.note(4, 21, 0);
    expect(c.of(3, 1000)).toEqual({ norm: 21, peers: 3 });
    expect(c.of(9, 1000)).toEqual({ norm: 21, peers: 4 });
    expect(c.of(1, 70_000)).toBeUndefined(); // all too old
  });
});

describe('reference figures', () => {
  it('takes the initial norm from the run\'s x0 and chance from the output size', () => {
    const spec = { kind: 'mlp' as const, hidden: [16] };
    expect(initialNormOf(spec, 4)).toBeCloseTo(paramStats(initialParams(spec, 4)).norm, 6);
    expect(chanceLossOf(spec)).toBeCloseTo(Math.log(10), 12);
    expect(paramStats(new Float32Array([3, -4]))).toEqual({ norm: 5, maxAbs: 4 });
  });
});
