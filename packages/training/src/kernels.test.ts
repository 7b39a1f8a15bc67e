import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from './backend';
import { kernelsFor, missingKernels } from './kernels';
import { initialParams } from './init';
import { ioOf, type ModelSpec } from './spec';
import { syntheticDigits } from './testing';
import { Trainer } from './trainer';
import { registerWasmConvGrad, WASM_CONV_GRAD_KERNEL } from './wasm-conv-grad';

const MLP: ModelSpec = { kind: 'mlp', hidden: [4, 3] };
const CNN: ModelSpec = { kind: 'cnn', filters: [2, 3], kernelSize: 3, dense: [4] };
const GRU: ModelSpec = { kind: 'rnn', cell: 'gru', vocab: 5, length: 784 / 49, units: [3] };
const LSTM: ModelSpec = { kind: 'rnn', cell: 'lstm', vocab: 5, length: 784 / 49, units: [3] };

describe('kernelsFor', () => {
  it.each([MLP, CNN, GRU, LSTM])('lists every kernel a gradient step and an evaluation of %j run', async (spec) => {
    await selectBackend(['cpu']);
    const trainer = await Trainer.create(spec);
    const spy = vi.spyOn(tf.engine(), 'runKernel');
    try {
      const io = ioOf(spec);
      const { images, labels } = io.encoding === 'one-hot'
        ? { images: new Float32Array(6 * io.inputSize).fill(1), labels: new Int32Array(6 * io.targetSize).fill(2) }
        : syntheticDigits(6, 1);
      const x = initialParams(spec, 1);
      await trainer.gradient(x, images, labels, 6, new Float32Array(trainer.dim));
      await trainer.evaluate(x, images, labels, 6);
      const used = new Set(spy.mock.calls.map((call) => call[0]));
      expect(used.size).toBeGreaterThan(10);
      expect([...used].filter((k) => !kernelsFor(spec).includes(k))).toEqual([]);
    } finally {
      spy.mockRestore();
      await trainer.dispose();
    }
  });

  it('finds every kernel on wasm (its conv filter gradient added by us) and on cpu, and a kernel gone as missing', async () => {
    await selectBackend(['wasm']);
    for (const spec of [MLP, CNN, GRU, LSTM]) {
      expect(missingKernels(spec, 'wasm')).toEqual([]);
      expect(missingKernels(spec, 'cpu')).toEqual([]);
    }
    tf.unregisterKernel(WASM_CONV_GRAD_KERNEL, 'wasm');
    try {
      expect(missingKernels(CNN, 'wasm')).toEqual(['Conv2DBackpropFilter']);
      expect(missingKernels(MLP, 'wasm')).toEqual([]);
    } finally {
      registerWasmConvGrad();
    }
  });
});
