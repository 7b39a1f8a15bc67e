import { describe, expect, it } from 'vitest';
import { MsgKind, type Message } from '@starling/core';
import { handoffEnvelopes, HandoffReceiver } from './handoff';

const model = Float32Array.from({ length: 10 }, (_, i) => i * 0.5 - 2);

function frames(from: number, id: number, x = model): Message[] {
  return handoffEnvelopes(from, 9, id, 3, x, 4).map((e) => ({ ...e.msg, data: e.msg.data.slice() }));
}

describe('model hand-off', () => {
  it('sends the model as reliable blocks and rebuilds it exactly, in any order', () => {
    const envs = handoffEnvelopes(2, 9, 77, 3, model, 4);
    expect(envs.map((e) => [e.to, e.reliable, e.msg.kind, e.msg.block, e.msg.offset, e.msg.data.length])).toEqual([
      [9, true, MsgKind.ModelHandoff, 0, 0, 4],
      [9, true, MsgKind.ModelHandoff, 1, 4, 4],
      [9, true, MsgKind.ModelHandoff, 2, 8, 2],
    ]);
    const rx = new HandoffReceiver(77, 10, 4);
    const [a, b, c] = frames(2, 77);
    expect(rx.accept(c)).toBe(false);
    expect(rx.accept(a)).toBe(false);
    expect(rx.accept(a)).toBe(false); // a duplicate does not complete it
    expect(rx.accept(b)).toBe(true);
    expect(Array.from(rx.model())).toEqual(Array.from(model));
    expect(rx.from).toBe(2);
  });

  it('never mixes two senders: the first block fixes the source', () => {
    const rx = new HandoffReceiver(5, 10, 4);
    const other = frames(4, 5, new Float32Array(10).fill(100));
    const mine = frames(2, 5);
    rx.accept(mine[0]);
    for (const f of other) expect(rx.accept(f)).toBe(false);
    expect(rx.rejected).toBe(3);
    rx.accept(mine[1]);
    expect(rx.accept(mine[2])).toBe(true);
    expect(Array.from(rx.model())).toEqual(Array.from(model));
  });

  it('rejects frames of another request, bad blocks and non-finite values', () => {
    const rx = new HandoffReceiver(5, 10, 4);
    const [good] = frames(2, 5);
    const bad: Message[] = [
      { ...good, seq: 6 },
      { ...good, kind: MsgKind.RfastV },
      { ...good, offset: 1 },
      { ...good, block: 3, offset: 12 },
      { ...good, data: Float32Array.from([1, NaN, 2, 3]) },
      { ...good, data: new Float64Array(4) },
    ];
    for (const m of bad) expect(rx.accept(m)).toBe(false);
    expect(rx.rejected).toBe(bad.length);
    expect(rx.from).toBeNull();
    expect(rx.complete).toBe(false);
  });
});
