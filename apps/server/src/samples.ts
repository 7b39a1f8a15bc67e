import { Rng } from '@starling/core';
import type { TaskInfo, TaskSamples } from '@starling/protocol';
import type { EvalArrays } from '@starling/tasks';
import type { Trainer } from '@starling/training';

/**
 * A few test examples as the latest evaluated snapshot sees them, for the dashboard: predicted
 * labels of the first test images, or a line of text the language model writes after a prompt
 * from the validation text. Made after an evaluation, on the evaluator's trainer.
 */

export interface SampleOptions {
  /** Test images shown (image tasks). */
  images: number;
  /** Characters generated after the prompt (language model). */
  chars: number;
  /** Softmax temperature of the generation: below 1 favours likely characters. */
  temperature: number;
}

type SampleTrainer = Pick<Trainer, 'predict' | 'io'>;

function argMax(a: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (a[from + k] > a[from + best]) best = k;
  return best;
}

function name(task: TaskInfo, k: number): string {
  return task.data.classNames?.[k] ?? String(k);
}

export async function makeSamples(
  trainer: SampleTrainer, task: TaskInfo, test: EvalArrays, params: Float32Array, o: SampleOptions, seed: number,
): Promise<Pick<TaskSamples, 'images' | 'text'>> {
  const obj = trainer.io.objective;
  if (task.data.image !== null && obj.kind === 'classification' && test.inputs instanceof Uint8Array) {
    const n = Math.min(o.images, test.count);
    const size = trainer.io.inputSize;
    const logits = await trainer.predict(params, test.inputs.subarray(0, n * size), n);
    const items = [];
    for (let i = 0; i < n; i++) {
      items.push({
        pixels: Buffer.from(test.inputs.subarray(i * size, (i + 1) * size)).toString('base64'),
        label: name(task, test.targets[i]),
        predicted: name(task, argMax(logits, i * obj.classes, obj.classes)),
      });
    }
    return { images: { shape: task.data.image, items }, text: null };
  }
  if (obj.kind === 'sequence' && test.count > 0) {
    const len = obj.length;
    const window = Float32Array.from(test.inputs.subarray(0, len));
    const prompt = Array.from(window, (t) => name(task, t)).join('');
    const rng = new Rng(seed);
    const probs = new Float64Array(obj.classes);
    let generated = '';
    for (let c = 0; c < o.chars; c++) {
      const logits = await trainer.predict(params, window, 1);
      // The next character's distribution: the last position's logits, tempered.
      const at = (len - 1) * obj.classes;
      let max = -Infinity;
      for (let k = 0; k < obj.classes; k++) max = Math.max(max, logits[at + k]);
      let sum = 0;
      for (let k = 0; k < obj.classes; k++) sum += probs[k] = Math.exp((logits[at + k] - max) / o.temperature);
      let u = rng.next() * sum;
      let next = obj.classes - 1;
      for (let k = 0; k < obj.classes; k++) {
        u -= probs[k];
        if (u <= 0) {
          next = k;
          break;
        }
      }
      generated += name(task, next);
      window.copyWithin(0, 1);
      window[len - 1] = next;
    }
    return { images: null, text: { prompt, generated } };
  }
  return { images: null, text: null };
}
