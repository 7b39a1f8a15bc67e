import { Rng } from '@starling/core';
import type { TaskInfo } from '@starling/protocol';
import { evalArrays, type DataSet } from '@starling/tasks';
import { initialParams, selectBackend, Trainer, type RnnSpec } from '@starling/training';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSamples } from './samples';

/** The language model's sample: the prompt is a validation window, the generation its continuation. */

const SPEC: RnnSpec = { kind: 'rnn', cell: 'gru', vocab: 4, length: 5, units: [6] };
const TASK: TaskInfo = {
  id: 'tiny-lm',
  title: 'tiny',
  model: SPEC,
  data: { layout: 'stream', classNames: ['a', 'b', 'c', 'd'], image: null },
  metric: 'perplexity',
  initialUrl: null,
};
/** abcdabcd...: a model trained on it writes the cycle on. */
const TEXT: DataSet = { layout: 'stream', featureShape: [1], features: Uint8Array.from({ length: 400 }, (_, i) => i % 4), targets: null, count: 400, classes: 4 };

beforeAll(async () => {
  await selectBackend(['cpu']);
});

describe('language model samples', () => {
  it('prompts with the first validation window and writes `chars` characters of the vocabulary, repeatably', async () => {
    const trainer = await Trainer.create(SPEC);
    try {
      const test = evalArrays(TEXT, 10, SPEC.length);
      const x = initialParams(SPEC, 1);
      const o = { images: 8, chars: 12, temperature: 0.8 };
      const a = await makeSamples(trainer, TASK, test, x, o, 7);
      expect(a.images).toBeNull();
      expect(a.text!.prompt).toBe('abcda');
      expect(a.text!.generated).toMatch(/^[abcd]{12}$/);
      expect((await makeSamples(trainer, TASK, test, x, o, 7)).text).toEqual(a.text);

      // After training on the cycle the model continues it.
      const g = new Float32Array(trainer.dim);
      const rng = new Rng(2);
      const xs = new Float32Array(16 * 5);
      const ys = new Int32Array(16 * 5);
      for (let step = 0; step < 150; step++) {
        for (let b = 0; b < 16; b++) {
          const s = rng.int(4);
          for (let p = 0; p < 5; p++) {
            xs[b * 5 + p] = (s + p) % 4;
            ys[b * 5 + p] = (s + p + 1) % 4;
          }
        }
        await trainer.gradient(x, xs, ys, 16, g);
        for (let i = 0; i < x.length; i++) x[i] -= 1.0 * g[i];
      }
      const trained = await makeSamples(trainer, TASK, test, x, { ...o, temperature: 0.1 }, 7);
      expect(trained.text!.generated).toBe('bcdabcdabcda');
    } finally {
      await trainer.dispose();
    }
  });
});
