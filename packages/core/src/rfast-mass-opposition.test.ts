import { describe, expect, it } from 'vitest';
import { blockLayout } from './blocks';
import { MassOpposition } from './rfast-mass-opposition';

/** Two blocks of 2 coordinates; our own outgoing sums to two out-neighbours point along (1, 1) on both. */
const layout = blockLayout(4, 2);
const pushed = [Float64Array.of(1, 1, 1, 1), Float64Array.of(0.5, 0.5, 0.5, 0.5)];
/** A sender's running sum for `block`, at offset 0 of its own buffer. */
const sum = (a: number, b: number) => Float64Array.of(a, b);
const judge = (m: MassOpposition, j: number, block: number, s: Float64Array) => m.judge(j, block, block * 2, 2, s, 0, pushed);

describe('MassOpposition', () => {
  it('judges nobody until another sender has been heard on the block', () => {
    const m = new MassOpposition([10, 11, 12], layout, null, 0.5, 0);
    expect(judge(m, 0, 0, sum(-1, -1))).toBe('unjudged');
    expect(judge(m, 1, 1, sum(1, 0.9))).toBe('unjudged'); // block 1 has no other sender yet
  });

  it('calls a sum opposed when it points against ours while every other sender agrees', () => {
    const m = new MassOpposition([10, 11, 12], layout, null, 0.5, 0);
    judge(m, 0, 0, sum(1, 0.8));
    judge(m, 1, 0, sum(0.9, 1));
    expect(judge(m, 2, 0, sum(-1, -0.7))).toBe('opposed');
    expect(judge(m, 2, 0, sum(1, 0.2))).toBe('agrees');
    // The other block keeps its own cosines.
    expect(judge(m, 2, 1, sum(-1, -1))).toBe('unjudged');
  });

  it('says nothing where the other senders do not agree with us (non-IID neighbours, a hostile one among them)', () => {
    const m = new MassOpposition([10, 11, 12], layout, null, 0.5, 0);
    judge(m, 0, 0, sum(1, 0.8));
    judge(m, 1, 0, sum(1, -0.9)); // cosine about 0.05 with ours
    expect(judge(m, 2, 0, sum(-1, -1))).toBe('unjudged');
    // Its own opposed sum now keeps the honest ones from being judged by it.
    expect(judge(m, 0, 0, sum(-0.1, 0.05))).toBe('unjudged');
  });

  it('judges only the senders whose sums started with ours (not a joiner added within the epoch)', () => {
    const m = new MassOpposition([10, 11, 12], layout, new Set([10, 11]), 0.5, 0);
    judge(m, 0, 0, sum(1, 0.8));
    judge(m, 1, 0, sum(0.9, 1));
    expect(judge(m, 2, 0, sum(-1, -0.7))).toBe('unjudged');
    expect(judge(m, 1, 0, sum(-1, -0.7))).toBe('opposed');
    expect([...m.judgedSenders()]).toEqual([10, 11]);
  });

  it('leaves zero sums (nothing pushed yet, on either side) unjudged', () => {
    const m = new MassOpposition([10, 11], layout, null, 0.5, 0);
    judge(m, 0, 0, sum(1, 1));
    expect(judge(m, 1, 0, sum(0, 0))).toBe('unjudged');
    expect(m.judge(1, 0, 0, 2, sum(-1, -1), 0, [new Float64Array(4)])).toBe('unjudged');
  });
});
