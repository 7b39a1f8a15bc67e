/** A task small enough for unit tests: an MLP over 4 features and 3 classes. For tests only. */
import type { TaskInfo } from '@starling/protocol';

export const TINY_TASK: TaskInfo = {
  id: 'tiny',
  title: 'tiny MLP',
  model: { kind: 'mlp', hidden: [6], inputSize: 4, classes: 3 },
  data: { layout: 'examples', classNames: null, image: null },
  metric: 'accuracy',
  initialUrl: null,
};
