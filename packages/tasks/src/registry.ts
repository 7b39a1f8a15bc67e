/**
 * The built-in tasks, in one place. Adding a task = one folder exporting a TaskDefinition, plus one
 * line here (see the package README).
 */
import { charLm } from './char-lm';
import { fashionMnistCnn } from './fashion-mnist-cnn';
import { mnistCnn } from './mnist-cnn';
import { mnistMlp } from './mnist-mlp';
import type { TaskDefinition } from './task';

export const BUILTIN_TASKS: readonly TaskDefinition[] = [mnistMlp, mnistCnn, fashionMnistCnn, charLm];
