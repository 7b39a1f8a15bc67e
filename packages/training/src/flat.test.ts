import * as tf from '@tensorflow/tfjs';
import { Rng } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './backend';
import { TrainingError } from './errors';
import { FlatParams, bindVariables } from './flat';
import { buildModel } from './model';
import { layoutOf, type ModelSpec } from './spec';
import { randomVector } from './testing';

const specs: ModelSpec[] = [
  { kind: 'mlp', hidden: [16, 8] },
  { kind: 'cnn', filters: [3, 4], kernelSize: 3, dense: [6] },
];

describe.each(['cpu', 'wasm'] as const)('FlatParams on %s', (backend) => {
  it.each(specs)('round-trips a random vector bit-exactly for %j', async (spec) => {
    await selectBackend([backend]);
    const model = buildModel(spec);
    const flat = new FlatParams(model, layoutOf(spec));
    try {
      const x = randomVector(new Rng(11), flat.dim, 3);
      flat.setParams(x);
      const back = new Float32Array(flat.dim);
      await flat.getParams(back);
      expect(back).toEqual(x);
      // Each variable holds its own slice, in layout order.
      const last = flat.layout.entries[flat.layout.entries.length - 1];
      const lastVar = Array.from(await flat.variables[flat.variables.length - 1].data());
      expect(lastVar).toEqual(Array.from(x.subarray(last.offset, last.offset + last.size)));
    } finally {
      model.dispose();
    }
  });

  it('does not alias the caller’s vector, and keeps the tensor count flat', async () => {
    await selectBackend([backend]);
    const spec = specs[0];
    const model = buildModel(spec);
    const flat = new FlatParams(model, layoutOf(spec));
    try {
      const x = randomVector(new Rng(2), flat.dim, 1);
      const copy = x.slice();
      flat.setParams(x);
      const before = tf.memory().numTensors;
      x.fill(9); // the model must still hold the values from the time of the call
      const back = new Float32Array(flat.dim);
      await flat.getParams(back);
      expect(back).toEqual(copy);
      flat.setParams(x);
      await flat.getParams(back);
      expect(back[0]).toBe(9);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});

describe('FlatParams input checks', () => {
  it('rejects wrong lengths and NaN/Inf without touching the model', async () => {
    await selectBackend(['cpu']);
    const spec = specs[0];
    const model = buildModel(spec);
    const flat = new FlatParams(model, layoutOf(spec));
    try {
      const x = randomVector(new Rng(5), flat.dim, 1);
      flat.setParams(x);
      expect(() => flat.setParams(new Float32Array(flat.dim - 1))).toThrow(TrainingError);
      const bad = x.slice();
      bad[17] = NaN;
      expect(() => flat.setParams(bad)).toThrow(/index 17/);
      bad[17] = -Infinity;
      expect(() => flat.setParams(bad)).toThrow(TrainingError);
      await expect(flat.getParams(new Float32Array(3))).rejects.toThrow(TrainingError);
      const back = new Float32Array(flat.dim);
      await flat.getParams(back);
      expect(back).toEqual(x);
    } finally {
      model.dispose();
    }
  });

  it('refuses a model whose weights do not match the layout', async () => {
    await selectBackend(['cpu']);
    const model = buildModel({ kind: 'mlp', hidden: [5] });
    try {
      expect(() => bindVariables(model, layoutOf({ kind: 'mlp', hidden: [6] }))).toThrow(/expects \[784,6\]/);
      expect(() => bindVariables(model, layoutOf({ kind: 'mlp', hidden: [5, 5] }))).toThrow(/4 trainable weights/);
    } finally {
      model.dispose();
    }
  });
});
