import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@starling/core';
import { selectBackend } from './backend';
import { UnsupportedConvGradError } from './wasm-conv-grad';

type Case = { x: [number, number, number, number]; filter: [number, number, number, number]; pad: 'same' | 'valid' };

function random(shape: number[], rng: Rng): Float32Array {
  const a = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.next() * 2 - 1;
  return a;
}

/** The filter gradient on `backend`, as plain numbers, with the tensor count it left behind. */
async function filterGrad(backend: 'wasm' | 'cpu', c: Case, x: Float32Array, dy: Float32Array, dyShape: number[]) {
  await selectBackend([backend]);
  const before = tf.memory().numTensors;
  // The gradient of sum(conv2d(x, f) * dy) with respect to f: what a layer's backward pass asks for.
  const out = tf.tidy(() => {
    const xs = tf.tensor4d(x, c.x);
    const dys = tf.tensor(dy, dyShape);
    return tf.grad((f: tf.Tensor) => tf.conv2d(xs, f as tf.Tensor4D, 1, c.pad).mul(dys).sum())(tf.zeros(c.filter));
  });
  const values = await out.data();
  expect(out.shape).toEqual(c.filter);
  out.dispose();
  return { values: Float32Array.from(values), leaked: tf.memory().numTensors - before };
}

describe("the wasm backend's Conv2DBackpropFilter", () => {
  it.each<Case>([
    { x: [4, 12, 12, 1], filter: [5, 5, 1, 3], pad: 'same' },
    { x: [3, 7, 9, 2], filter: [3, 3, 2, 4], pad: 'same' },
    { x: [2, 8, 8, 3], filter: [3, 2, 3, 2], pad: 'valid' },
  ])('matches the cpu kernel at stride 1 (%j) and leaves no tensor behind', async (c) => {
    const rng = new Rng(7);
    const x = random(c.x, rng);
    const [b, h, w] = c.x;
    const [kh, kw, , co] = c.filter;
    const dyShape = c.pad === 'same' ? [b, h, w, co] : [b, h - kh + 1, w - kw + 1, co];
    const dy = random(dyShape, rng);
    const wasm = await filterGrad('wasm', c, x, dy, dyShape);
    const cpu = await filterGrad('cpu', c, x, dy, dyShape);
    expect(wasm.leaked).toBe(0);
    let maxErr = 0;
    let maxAbs = 0;
    for (let i = 0; i < cpu.values.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(wasm.values[i] - cpu.values[i]));
      maxAbs = Math.max(maxAbs, Math.abs(cpu.values[i]));
    }
    expect(maxAbs).toBeGreaterThan(1);
    expect(maxErr).toBeLessThan(1e-5 * maxAbs);
  });

  it('refuses strides other than 1, where the 3-D kernel it stands on gave wrong values', async () => {
    await selectBackend(['wasm']);
    const before = tf.memory().numTensors;
    const x = tf.zeros([1, 8, 8, 1]);
    const dy = tf.zeros([1, 4, 4, 2]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 2] };
    const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap);
    expect(run).toThrow(UnsupportedConvGradError);
    expect(run).toThrow(/stride 1 only, not \[2, 2\]/);
    tf.dispose([x, dy]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
