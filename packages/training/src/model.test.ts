import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend';
import { INPUT_SIZE, NUM_CLASSES } from './config';
import { ModelSpecError } from './errors';
import { FlatParams } from './flat';
import { buildModel } from './model';
import { initialParams } from './init';
import { layoutOf, specName, type ModelSpec } from './spec';
import { Trainer } from './trainer';
import { syntheticDigits } from './testing';

const specs: ModelSpec[] = [
  { kind: 'mlp', hidden: [] },
  { kind: 'mlp', hidden: [128] },
  { kind: 'mlp', hidden: [32, 16] },
  { kind: 'cnn', filters: [4, 8], kernelSize: 3, dense: [] },
  { kind: 'cnn', filters: [2], kernelSize: 5, dense: [12] },
];

beforeAll(async () => {
  await selectBackend(['cpu']);
});

describe('layout', () => {
  it('counts 784-128-10 as W1 + b1 + W2 + b2', () => {
    expect(layoutOf({ kind: 'mlp', hidden: [128] }).dim).toBe(INPUT_SIZE * 128 + 128 + 128 * NUM_CLASSES + NUM_CLASSES);
  });

  it.each(specs)('matches the TF.js model for %j (count, order, shapes, contiguous offsets)', (spec) => {
    const layout = layoutOf(spec);
    const model = buildModel(spec);
    try {
      expect(model.countParams()).toBe(layout.dim);
      expect(model.trainableWeights.map((w) => w.shape)).toEqual(layout.entries.map((e) => e.shape));
      let offset = 0;
      for (const e of layout.entries) {
        expect(e.offset).toBe(offset);
        offset += e.size;
      }
      expect(offset).toBe(layout.dim);
      const out = model.predict(tf.zeros([2, INPUT_SIZE])) as tf.Tensor;
      expect(out.shape).toEqual([2, NUM_CLASSES]);
      out.dispose();
    } finally {
      model.dispose();
    }
  });

  it('rejects specs that cannot be built, naming the field', () => {
    const bad: unknown[] = [
      { kind: 'mlp', hidden: [0] },
      { kind: 'mlp', hidden: [3.5] },
      { kind: 'cnn', filters: [], kernelSize: 3, dense: [] },
      { kind: 'cnn', filters: [4], kernelSize: 0, dense: [] },
      { kind: 'cnn', filters: [1, 1, 1, 1, 1, 1], kernelSize: 3, dense: [] },
      { kind: 'rnn' },
    ];
    for (const spec of bad) expect(() => layoutOf(spec as ModelSpec)).toThrow(ModelSpecError);
    expect(() => layoutOf({ kind: 'mlp', hidden: [8, -1] })).toThrow(/mlp\.hidden\[1\]/);
  });

  it('names specs readably', () => {
    expect(specName({ kind: 'mlp', hidden: [128, 64] })).toBe('mlp-128-64');
    expect(specName({ kind: 'cnn', filters: [8, 16], kernelSize: 3, dense: [32] })).toBe('cnn-8x16-k3-d32');
  });
});

describe('initialParams', () => {
  it('is a pure function of (spec, seed)', () => {
    for (const spec of specs) {
      const a = initialParams(spec, 42);
      expect(initialParams(spec, 42)).toEqual(a);
      expect(initialParams(spec, 43)).not.toEqual(a);
    }
  });

  it('draws Glorot-uniform kernels and zero biases', () => {
    const spec: ModelSpec = { kind: 'mlp', hidden: [128] };
    const x = initialParams(spec, 7);
    for (const e of layoutOf(spec).entries) {
      const v = x.subarray(e.offset, e.offset + e.size);
      if (e.role === 'bias') {
        expect(v.every((b) => b === 0)).toBe(true);
        continue;
      }
      const limit = Math.sqrt(6 / (e.fanIn + e.fanOut));
      let sum = 0;
      let sq = 0;
      let maxAbs = 0;
      for (let i = 0; i < v.length; i++) {
        sum += v[i];
        sq += v[i] * v[i];
        maxAbs = Math.max(maxAbs, Math.abs(v[i]));
      }
      expect(maxAbs).toBeLessThanOrEqual(limit);
      expect(maxAbs).toBeGreaterThan(0.99 * limit);
      // U(-l, l): mean 0, variance l^2 / 3. Thousands of draws pin both within a few percent.
      expect(Math.abs(sum / v.length)).toBeLessThan(0.05 * limit);
      expect(sq / v.length / ((limit * limit) / 3)).toBeGreaterThan(0.93);
      expect(sq / v.length / ((limit * limit) / 3)).toBeLessThan(1.07);
    }
  });
});

describe('save and load', () => {
  it.each(specs.slice(1, 4))('round-trips %j through the TF.js format with identical predictions', async (spec) => {
    const trainer = await Trainer.create(spec);
    const x = initialParams(spec, 5);
    for (let i = 0; i < x.length; i += 97) x[i] += 0.01; // also non-zero biases
    let saved: tf.io.ModelArtifacts | undefined;
    await trainer.save(
      x,
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(saved?.weightData).toBeDefined();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    try {
      const back = new Float32Array(trainer.dim);
      await new FlatParams(loaded, layoutOf(spec)).getParams(back);
      expect(back).toEqual(x);

      const { images } = syntheticDigits(8, 3);
      const input = tf.tensor2d(images, [8, INPUT_SIZE]);
      const want = trainer.model.predict(input) as tf.Tensor;
      const got = loaded.predict(input) as tf.Tensor;
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      // Predictions must depend on the weights, or the comparison proves nothing.
      expect(new Set(await want.data()).size).toBeGreaterThan(10);
      tf.dispose([input, want, got]);
    } finally {
      loaded.dispose();
      await trainer.dispose();
    }
  });
});
