import { describe, expect, it } from 'vitest';
import { localRound, localRoundScratch, type MinibatchGradient } from './local-round';

/**
 * f(x) = 0.5 * sum_i a_i (x_i - c_i)^2 plus a per-call offset, so each "minibatch" differs: the
 * gradient at step k is a * (x - c) + k * e, and the loss is f(x) + k.
 */
function quadratic(a: number[], c: number[], e: number[]) {
  let calls = 0;
  const seen: Float32Array[] = [];
  const gradient: MinibatchGradient = async (x, g) => {
    seen.push(x.slice());
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - c[i];
      g[i] = a[i] * d + calls * e[i];
      f += 0.5 * a[i] * d * d;
    }
    return f + calls++;
  };
  return { gradient, seen, calls: () => calls };
}

describe('localRound', () => {
  it('hands back the sum of H SGD steps, so x - lr * out is where the steps ended', async () => {
    const a = [1, 2, 0.5], c = [1, -1, 3], e = [0.1, -0.2, 0.3];
    const lr = 0.1;
    const H = 4;
    const x = new Float32Array([0, 0, 0]);
    const out = new Float32Array(3);
    const q = quadratic(a, c, e);
    const scratch = localRoundScratch(3);
    const loss = await localRound(q.gradient, x, out, lr, H, () => scratch);

    // The same H steps by hand, in float64.
    const ref = [0, 0, 0];
    let lossSum = 0;
    for (let k = 0; k < H; k++) {
      let f = 0;
      const g = ref.map((xi, i) => {
        const d = xi - c[i];
        f += 0.5 * a[i] * d * d;
        return a[i] * d + k * e[i];
      });
      lossSum += f + k;
      for (let i = 0; i < 3; i++) ref[i] -= lr * g[i];
    }
    expect(q.calls()).toBe(H);
    for (let i = 0; i < 3; i++) expect(x[i] - lr * out[i]).toBeCloseTo(ref[i], 5);
    expect(loss).toBeCloseTo(lossSum / H, 5);
    // Each step's gradient was taken where the previous one left the local iterate, not at x.
    expect(Array.from(q.seen[1])).not.toEqual(Array.from(q.seen[0]));
    expect(Array.from(x)).toEqual([0, 0, 0]);
  });

  it('one step is the plain gradient, through the caller\'s own buffer', async () => {
    const q = quadratic([2], [1], [0]);
    const x = new Float32Array([3]);
    const out = new Float32Array(1);
    const scratch = () => {
      throw new Error('a round of one step asked for scratch buffers');
    };
    expect(await localRound(q.gradient, x, out, 0.5, 1, scratch)).toBe(4);
    expect(out[0]).toBe(4);
  });

  it('a non-finite loss ends the round with NaN and leaves x alone', async () => {
    let k = 0;
    const gradient: MinibatchGradient = async (_x, g) => {
      g.fill(1);
      return k++ === 1 ? Number.POSITIVE_INFINITY : 1;
    };
    const x = new Float32Array([7, 7]);
    const out = new Float32Array(2);
    const scratch = localRoundScratch(2);
    expect(await localRound(gradient, x, out, 0.1, 3, () => scratch)).toBeNaN();
    expect(k).toBe(2);
    expect(Array.from(x)).toEqual([7, 7]);
  });

  it('refuses scratch buffers of another model size', async () => {
    const q = quadratic([1, 1], [0, 0], [0, 0]);
    const scratch = localRoundScratch(3);
    await expect(localRound(q.gradient, new Float32Array(2), new Float32Array(2), 0.1, 2, () => scratch)).rejects.toThrow(/model of 2/);
  });
});
