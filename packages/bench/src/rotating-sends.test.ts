import { MsgKind, Rng, type Envelope } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { rotateByBlock } from './rotating-sends';

function env(block: number, to: number): Envelope {
  return { to, reliable: false, msg: { kind: MsgKind.RfastV, from: 0, epoch: 0, seq: 1, block, offset: block * 4, aux: 0, data: new Float32Array(4) } };
}

describe('rotateByBlock', () => {
  const blocks = 5;
  const envs = Array.from({ length: blocks }, (_, b) => [env(b, 1), env(b, 2)]).flat();

  it('keeps every message once, blocks contiguous and cyclic, per-block order unchanged', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) {
      const out = rotateByBlock(envs, rng);
      expect(new Set(out)).toEqual(new Set(envs));
      const order = out.filter((_, k) => k % 2 === 0).map((e) => e.msg.block);
      for (let k = 1; k < order.length; k++) expect(order[k]).toBe((order[k - 1] + 1) % blocks);
      for (let k = 0; k < out.length; k += 2) expect([out[k].to, out[k + 1].to]).toEqual([1, 2]);
    }
  });

  it('starts at every block about equally often', () => {
    const rng = new Rng(7);
    const starts = new Array<number>(blocks).fill(0);
    for (let i = 0; i < 5000; i++) starts[rotateByBlock(envs, rng)[0].msg.block]++;
    for (const c of starts) expect(c / 5000).toBeGreaterThan(0.17);
  });

  it('leaves single-block and empty sends alone', () => {
    const one = [env(0, 1), env(0, 2)];
    expect(rotateByBlock(one, new Rng(1))).toBe(one);
    expect(rotateByBlock([], new Rng(1))).toEqual([]);
  });
});
