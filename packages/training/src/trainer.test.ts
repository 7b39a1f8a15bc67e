import { Rng } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { INPUT_SIZE } from './config';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend';
import { BackendError, TrainingError } from './errors';
import { initialParams } from './init';
import type { ModelSpec } from './spec';
import { referenceMlp1, syntheticDigits } from './testing';
import { Trainer } from './trainer';
import { registerWasmConvGrad, WASM_CONV_GRAD_KERNEL } from './wasm-conv-grad';

async function withTrainer<T>(backend: 'cpu' | 'wasm', spec: ModelSpec, f: (t: Trainer) => Promise<T>): Promise<T> {
  const trainer = await Trainer.create(spec, { backends: [backend] });
  try {
    return await f(trainer);
  } finally {
    await trainer.dispose();
  }
}

/** Coordinates worth checking: the largest |g| of each weight tensor plus one arbitrary one. */
function probeCoordinates(trainer: Trainer, g: Float32Array, rng: Rng): number[] {
  const picks: number[] = [];
  for (const e of trainer.layout.entries) {
    let best = e.offset;
    for (let i = e.offset; i < e.offset + e.size; i++) if (Math.abs(g[i]) > Math.abs(g[best])) best = i;
    picks.push(best, e.offset + rng.int(e.size));
  }
  return picks;
}

const MLP: ModelSpec = { kind: 'mlp', hidden: [3] };
const CNN: ModelSpec = { kind: 'cnn', filters: [2], kernelSize: 3, dense: [4] };
/** Both backends train both kinds (wasm's conv filter gradient is ours: wasm-conv-grad.ts). */
const SPECS = [MLP, CNN];

/**
 * Runs `f` with the wasm backend lacking Conv2DBackpropFilter, as TF.js 4.22 ships it: the case of
 * a backend that cannot train a spec.
 */
async function withoutWasmConvGrad(f: () => Promise<void>): Promise<void> {
  await selectBackend(['wasm']);
  tf.unregisterKernel(WASM_CONV_GRAD_KERNEL, 'wasm');
  try {
    await f();
  } finally {
    registerWasmConvGrad();
  }
}

describe.each(['cpu', 'wasm'] as const)('Trainer on %s', (backend) => {
  it('matches a hand-written float64 gradient of a one-hidden-layer MLP', async () => {
    const h = 6;
    await withTrainer(backend, { kind: 'mlp', hidden: [h] }, async (trainer) => {
      expect(trainer.backend).toBe(backend);
      const { images, labels } = syntheticDigits(12, 1);
      const x = initialParams(trainer.spec, 3);
      for (let i = trainer.dim - 10 - h; i < trainer.dim; i++) x[i] = 0.05 * ((i % 7) - 3); // non-zero biases
      const out = new Float32Array(trainer.dim);
      const loss = await trainer.gradient(x, images, labels, 12, out);
      const ref = referenceMlp1(x, h, images, labels, 12);
      expect(loss).toBeCloseTo(ref.loss, 5);
      let maxErr = 0;
      let maxRef = 0;
      for (let i = 0; i < trainer.dim; i++) {
        maxErr = Math.max(maxErr, Math.abs(out[i] - ref.grad[i]));
        maxRef = Math.max(maxRef, Math.abs(ref.grad[i]));
      }
      expect(maxRef).toBeGreaterThan(1e-2);
      expect(maxErr).toBeLessThan(1e-5 * Math.max(1, maxRef));
    });
  });

  it('agrees with central finite differences', async () => {
    for (const spec of SPECS) {
      await withTrainer(backend, spec, async (trainer) => {
        // A ReLU kink within eps of a pre-activation biases the difference quotient. Noise-free
        // images and non-zero biases keep pre-activations few and away from 0, and a small eps
        // makes crossing one unlikely; float32 round-off in the quotient is then up to ~5e-4.
        const { images, labels } = syntheticDigits(4, 2, 0);
        const eps = 3e-4;
        const x = initialParams(spec, 9);
        for (const e of trainer.layout.entries) {
          if (e.role === 'bias') for (let i = e.offset; i < e.offset + e.size; i++) x[i] = 0.05 * (1 + (i % 3));
        }
        const g = new Float32Array(trainer.dim);
        const scratch = new Float32Array(trainer.dim);
        await trainer.gradient(x, images, labels, 4, g);
        for (const i of probeCoordinates(trainer, g, new Rng(4))) {
          const xi = x[i];
          x[i] = xi + eps;
          const up = await trainer.gradient(x, images, labels, 4, scratch);
          x[i] = xi - eps;
          const down = await trainer.gradient(x, images, labels, 4, scratch);
          x[i] = xi;
          const fd = (up - down) / (2 * eps);
          expect(Math.abs(fd - g[i]), `coordinate ${i}: fd ${fd} vs ${g[i]}`).toBeLessThan(1e-3 + 1e-2 * Math.abs(g[i]));
        }
      });
    }
  });

  it('learns a separable problem with plain SGD', async () => {
    await withTrainer(backend, { kind: 'mlp', hidden: [16] }, async (trainer) => {
      const train = syntheticDigits(640, 5);
      const test = syntheticDigits(200, 6);
      const x = initialParams(trainer.spec, 1);
      const g = new Float32Array(trainer.dim);
      const before = await trainer.evaluate(x, test.images, test.labels, 200);
      const batch = 32;
      for (let step = 0; step < 40; step++) {
        const start = (step * batch) % 640;
        const xs = train.images.subarray(start * INPUT_SIZE, (start + batch) * INPUT_SIZE);
        await trainer.gradient(x, xs, train.labels.subarray(start, start + batch), batch, g);
        for (let i = 0; i < x.length; i++) x[i] -= 0.1 * g[i];
      }
      const after = await trainer.evaluate(x, test.images, test.labels, 200);
      expect(after.loss).toBeLessThan(0.5 * before.loss);
      expect(after.accuracy).toBeGreaterThan(0.9);
      expect(after.accuracy).toBeGreaterThan(before.accuracy!);
    });
  });

  it.each(SPECS)('keeps the tensor count flat across steps and evaluations (%j)', async (spec) => {
    await withTrainer(backend, spec, async (trainer) => {
      const { images, labels } = syntheticDigits(50, 8);
      const x = initialParams(trainer.spec, 2);
      const g = new Float32Array(trainer.dim);
      await trainer.gradient(x, images, labels, 16, g);
      const count = trainer.numTensors();
      for (let step = 0; step < 20; step++) {
        await trainer.gradient(x, images, labels, 16, g);
        expect(trainer.numTensors()).toBe(count);
        for (let i = 0; i < x.length; i++) x[i] -= 0.05 * g[i];
      }
      await trainer.evaluate(x, images, labels, 50);
      await expect(trainer.gradient(x, images, labels, 16, new Float32Array(3))).rejects.toThrow(TrainingError);
      const badLabels = labels.slice();
      badLabels[3] = 10;
      await expect(trainer.gradient(x, images, badLabels, 16, g)).rejects.toThrow(/label 10 at index 3/);
      expect(trainer.numTensors()).toBe(count);
    });
  });

  it('evaluates like the float64 reference, batch size and pixel format notwithstanding', async () => {
    const trainer = await Trainer.create({ kind: 'mlp', hidden: [5] }, { backends: [backend], evalBatchSize: 7 });
    try {
      const n = 30;
      const { images, labels } = syntheticDigits(n, 12);
      const bytes = new Uint8Array(images.length);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(images[i] * 255);
      const scaled = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) scaled[i] = bytes[i] / 255;
      const x = initialParams(trainer.spec, 4);
      const ev = await trainer.evaluate(x, images, labels, n);
      expect(ev.loss).toBeCloseTo(referenceMlp1(x, 5, images, labels, n).loss, 5);
      const fromBytes = await trainer.evaluate(x, bytes, labels, n);
      expect(fromBytes.loss).toBeCloseTo(referenceMlp1(x, 5, scaled, labels, n).loss, 5);
      expect(ev.accuracy! * n).toBeCloseTo(Math.round(ev.accuracy! * n), 9);
      await expect(trainer.evaluate(x, images, labels.subarray(0, n - 1), n)).rejects.toThrow(/30 targets/);
      await expect(trainer.evaluate(x, images, labels, n + 1)).rejects.toThrow(/24304 input values/);
    } finally {
      await trainer.dispose();
    }
  });
});

describe('Trainer backend handling', () => {
  it('skips a backend that cannot train the spec and says why', async () => {
    await withoutWasmConvGrad(async () => {
      const trainer = await Trainer.create(CNN, { backends: ['webgpu', 'wasm', 'cpu'] });
      try {
        expect(trainer.backend).toBe('cpu');
        const attempts = trainer.backendReport?.attempts ?? [];
        expect(attempts.map((a) => [a.name, a.ok])).toEqual([
          ['webgpu', false],
          ['wasm', false],
          ['cpu', true],
        ]);
        expect(attempts[1].reason).toMatch(/wasm backend cannot train cnn.*Conv2DBackpropFilter/);
      } finally {
        await trainer.dispose();
      }
    });
  });

  it('throws TrainingError on an active backend that cannot train, BackendError when none is left', async () => {
    await withoutWasmConvGrad(async () => {
      const before = tf.memory().numTensors;
      await expect(Trainer.create(CNN)).rejects.toThrow(TrainingError);
      expect(tf.memory().numTensors).toBe(before);
      const err = await Trainer.create(CNN, { backends: ['wasm'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as BackendError).message).toMatch(/wasm: the wasm backend cannot train/);
    });
  });

  it('trains a CNN on wasm, which TF.js 4.22 alone cannot (no Conv2DBackpropFilter there)', async () => {
    const trainer = await Trainer.create(CNN, { backends: ['wasm', 'cpu'] });
    try {
      expect(trainer.backend).toBe('wasm');
      expect(trainer.backendReport?.attempts.map((a) => [a.name, a.ok])).toEqual([['wasm', true]]);
    } finally {
      await trainer.dispose();
    }
  });
});

describe('Trainer call discipline', () => {
  it('serialises concurrent calls so an evaluation never sees another call’s parameters', async () => {
    await withTrainer('cpu', { kind: 'mlp', hidden: [4] }, async (trainer) => {
      const { images, labels } = syntheticDigits(40, 3);
      const x1 = initialParams(trainer.spec, 1);
      const x2 = initialParams(trainer.spec, 2);
      const g = new Float32Array(trainer.dim);
      const alone = await trainer.evaluate(x1, images, labels, 40);
      const [together] = await Promise.all([
        trainer.evaluate(x1, images, labels, 40),
        trainer.gradient(x2, images, labels, 8, g),
      ]);
      expect(together).toEqual(alone);
    });
  });

  it('refuses NaN parameters, reports divergence, and rejects calls after dispose', async () => {
    const trainer = await Trainer.create({ kind: 'mlp', hidden: [4] }, { backends: ['cpu'] });
    const { images, labels } = syntheticDigits(8, 3);
    const x = initialParams(trainer.spec, 1);
    const g = new Float32Array(trainer.dim);
    x[5] = NaN;
    await expect(trainer.gradient(x, images, labels, 8, g)).rejects.toThrow(/index 5/);
    x[5] = 3e38; // finite, but the logits overflow
    x.fill(3e38, trainer.dim - 50);
    await expect(trainer.gradient(x, images, labels, 8, g)).rejects.toThrow(/non-finite/);
    await trainer.dispose();
    await trainer.dispose();
    await expect(trainer.gradient(initialParams(trainer.spec, 1), images, labels, 8, g)).rejects.toThrow(/disposed/);
  });
});
