import { z } from 'zod';
import { MNIST_DATA, MNIST_SOURCE } from '../mnist/source';
import { defineTask } from '../task';

/** LeNet-style conv net options, shared with the Fashion-MNIST task. */
export const LENET_OPTIONS = z.strictObject({
  /** Filters of each 'same' conv + ReLU + 2x2 max-pool block (28 -> 14 -> 7). */
  filters: z.array(z.int().min(1).max(256)).min(1).max(3).default([8, 16]),
  kernelSize: z.int().min(1).max(7).default(5),
  /** Dense ReLU layers between the conv blocks and the 10 logits. */
  dense: z.array(z.int().min(1).max(1024)).max(4).default([64]),
});

/** Handwritten digits with a LeNet-style conv net: compute-bound, where GPUs matter. */
export const mnistCnn = defineTask({
  id: 'mnist-cnn',
  title: 'MNIST digits, LeNet-style CNN',
  description: 'MNIST with a LeNet-style conv net (5x5 conv 8 -> pool -> 5x5 conv 16 -> pool -> dense 64 -> 10 by default); metric: test accuracy.',
  metric: 'accuracy',
  options: LENET_OPTIONS,
  data: MNIST_SOURCE,
  info: (o) => ({ model: { kind: 'cnn', filters: o.filters, kernelSize: o.kernelSize, dense: o.dense }, data: MNIST_DATA }),
});
