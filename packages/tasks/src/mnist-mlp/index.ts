import { z } from 'zod';
import { MNIST_DATA, MNIST_SOURCE } from '../mnist/source';
import { defineTask } from '../task';

/** Handwritten digits with a fully connected net: the cheapest task, where links decide the speed. */
export const mnistMlp = defineTask({
  id: 'mnist-mlp',
  title: 'MNIST digits, MLP',
  description: 'MNIST (60,000 training and 10,000 test digits, 28x28) with a fully connected net 784 -> hidden -> 10; metric: test accuracy.',
  metric: 'accuracy',
  options: z.strictObject({
    /** Hidden layer widths of the MLP 784 -> hidden... -> 10. */
    hidden: z.array(z.int().min(1).max(4096)).max(8).default([128]),
  }),
  data: MNIST_SOURCE,
  info: (o) => ({ model: { kind: 'mlp', hidden: o.hidden }, data: MNIST_DATA }),
});
