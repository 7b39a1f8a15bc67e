import type { ModelSpec } from '@starling/training';

/**
 * What a run trains, as the server resolved it from the run config's `task` and `taskOptions`:
 * everything a peer, the dashboard or an evaluator needs to know about the task, and nothing that
 * needs the task registry. Built-in tasks live in `@starling/tasks`; an owner's uploaded task is
 * resolved by the server from its database. Sent in `welcome`, `observing` and `GET /api/run`.
 */
export interface TaskInfo {
  /** Registry id ('mnist-cnn', 'char-lm', ...) or 'custom-<n>' for an uploaded task. */
  id: string;
  /** One line for people, e.g. "MNIST digits, LeNet-style CNN". */
  title: string;
  /** The model every peer builds (its spec fixes the flat vector's layout). */
  model: ModelSpec;
  data: {
    layout: 'examples' | 'stream';
    /** Names of the classes (examples) or the characters of the vocabulary (stream); null if unnamed. */
    classNames: string[] | null;
    /** [height, width, channels] when the examples are images (for showing samples); else null. */
    image: [number, number, number] | null;
  };
  /** The metric charted and reported: accuracy (classification), perplexity (language model), mse (regression). */
  metric: TaskMetric;
  /** Little-endian float32 starting point (an uploaded model's weights); null = initialParams(model, seed). */
  initialUrl: string | null;
}

export const TASK_METRICS = ['accuracy', 'perplexity', 'mse'] as const;
export type TaskMetric = (typeof TASK_METRICS)[number];

/** A task as the dashboard's picker lists it (`GET /api/tasks`). */
export interface TaskSummary {
  id: string;
  title: string;
  description: string;
  metric: TaskMetric;
  /** 'builtin' ships with Starling; 'custom' was uploaded by the owner. */
  source: 'builtin' | 'custom';
  /** The task's options with their defaults (what `taskOptions` may set), for display. */
  defaultOptions: Record<string, unknown>;
}

export interface TasksResponse {
  tasks: TaskSummary[];
}

/**
 * What the latest evaluated snapshot does on a few test examples, for people to look at
 * (`GET /api/runs/:id/samples`): predicted labels of test images, or a line of generated text.
 */
export interface TaskSamples {
  runId: string;
  /** Server time the samples were made. */
  t: number;
  peerId: number;
  snapshotSteps: number;
  /** Image tasks: each test image as base64 bytes (height x width x channels), its label and the prediction. */
  images: { shape: [number, number, number]; items: { pixels: string; label: string; predicted: string }[] } | null;
  /** Language model: the prompt (the start of a validation window) and what the model wrote after it. */
  text: { prompt: string; generated: string } | null;
}
