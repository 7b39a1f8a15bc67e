import * as tf from '@tensorflow/tfjs';
import { Rng } from '@starling/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend';
import { ModelSpecError, TrainingError } from './errors';
import { buildModel, createModel } from './model';
import { initialParams } from './init';
import { ioOf, layoutOf, type ModelSpec, type RnnSpec } from './spec';
import type { LayersSpec } from './layers-spec';
import { Trainer } from './trainer';

/** The objectives beyond image classification: a character model (sequence) and regression. */

const RNN: RnnSpec = { kind: 'rnn', cell: 'gru', vocab: 5, length: 6, units: [8] };

beforeAll(async () => {
  await selectBackend(['cpu']);
});

/** Token streams where the next token is always (t + 1) mod vocab: learnable from one step back. */
function countingBatch(n: number, spec: RnnSpec, rng: Rng): { xs: Float32Array; ys: Int32Array } {
  const xs = new Float32Array(n * spec.length);
  const ys = new Int32Array(n * spec.length);
  for (let e = 0; e < n; e++) {
    let t = rng.int(spec.vocab);
    for (let p = 0; p < spec.length; p++) {
      xs[e * spec.length + p] = t;
      t = (t + 1) % spec.vocab;
      ys[e * spec.length + p] = t;
    }
  }
  return { xs, ys };
}

describe('rnn (character model)', () => {
  it.each<RnnSpec>([RNN, { ...RNN, cell: 'lstm', units: [4, 3] }])('lays out %j as the TF.js model does', (spec) => {
    const model = buildModel(spec);
    try {
      expect(model.trainableWeights.map((w) => w.shape)).toEqual(layoutOf(spec).entries.map((e) => e.shape));
      expect(model.countParams()).toBe(layoutOf(spec).dim);
    } finally {
      model.dispose();
    }
  });

  it('learns a counting sequence: loss per token falls, accuracy per token rises', async () => {
    const trainer = await Trainer.create(RNN, { evalBatchSize: 16 });
    try {
      const rng = new Rng(3);
      const test = countingBatch(32, RNN, rng);
      const x = initialParams(RNN, 2);
      const before = await trainer.evaluate(x, test.xs, test.ys, 32);
      expect(before.loss).toBeCloseTo(Math.log(RNN.vocab), 1); // x0's logits are near zero: uniform
      const g = new Float32Array(trainer.dim);
      for (let step = 0; step < 120; step++) {
        const b = countingBatch(16, RNN, rng);
        await trainer.gradient(x, b.xs, b.ys, 16, g);
        for (let i = 0; i < x.length; i++) x[i] -= 1.0 * g[i];
      }
      const after = await trainer.evaluate(x, test.xs, test.ys, 32);
      expect(after.loss).toBeLessThan(0.5 * before.loss);
      expect(after.accuracy).toBeGreaterThan(0.9);
      const logits = await trainer.predict(x, test.xs, 2);
      expect(logits.length).toBe(2 * RNN.length * RNN.vocab);
    } finally {
      await trainer.dispose();
    }
  });

  it('refuses token ids outside the vocabulary', async () => {
    const trainer = await Trainer.create(RNN);
    try {
      const xs = new Float32Array(RNN.length).fill(RNN.vocab);
      await expect(trainer.gradient(initialParams(RNN, 1), xs, new Int32Array(RNN.length), 1, new Float32Array(trainer.dim))).rejects.toThrow(/outside 0\.\.4/);
    } finally {
      await trainer.dispose();
    }
  });
});

/** A TF.js layers topology, as an owner's model.json holds it: dense 3 -> 4 -> 1 (regression). */
function regressionSpec(): LayersSpec {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), tf.layers.dense({ units: 1 })] });
  const spec: LayersSpec = {
    kind: 'layers',
    name: 'reg-test',
    topology: model.toJSON(null, false),
    inputShape: [3],
    objective: { kind: 'regression', outputs: 1 },
    weights: model.trainableWeights.map((w) => ({ name: w.name, shape: w.shape as number[] })),
  };
  model.dispose();
  return spec;
}

describe('layers spec (an owner model) with a regression objective', () => {
  it('builds from the topology, and fits y = sum(x) with falling mean squared error', async () => {
    const spec = regressionSpec();
    expect(ioOf(spec)).toMatchObject({ inputSize: 3, targetSize: 1, encoding: 'dense' });
    const trainer = await Trainer.create(spec);
    try {
      const rng = new Rng(5);
      const n = 64;
      const xs = new Float32Array(n * 3);
      const ys = new Float32Array(n);
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < 3; j++) xs[e * 3 + j] = rng.next();
        ys[e] = xs[e * 3] + xs[e * 3 + 1] + xs[e * 3 + 2];
      }
      const x = initialParams(spec, 1);
      const before = await trainer.evaluate(x, xs, ys, n);
      expect(before.accuracy).toBeNull();
      const g = new Float32Array(trainer.dim);
      for (let step = 0; step < 200; step++) {
        await trainer.gradient(x, xs, ys, n, g);
        for (let i = 0; i < x.length; i++) x[i] -= 0.05 * g[i];
      }
      const after = await trainer.evaluate(x, xs, ys, n);
      expect(after.loss).toBeLessThan(0.2 * before.loss);
      ys[3] = Number.NaN;
      await expect(trainer.gradient(x, xs, ys, n, g)).rejects.toThrow(TrainingError);
    } finally {
      await trainer.dispose();
    }
  });

  it('refuses a topology whose weights are not the listed ones', async () => {
    const spec = regressionSpec();
    const wrong: ModelSpec = { ...spec, weights: [{ name: 'k', shape: [3, 5] }, ...spec.weights.slice(1)] };
    await expect(createModel(wrong)).rejects.toThrow(ModelSpecError);
    expect(() => layoutOf({ ...spec, inputShape: [0] })).toThrow(/inputShape/);
  });
});
