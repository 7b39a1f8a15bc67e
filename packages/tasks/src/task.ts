/**
 * The task as one concept: a data source (loaded and packed once in Node), a model built from a
 * serializable spec, its loss and metric (from the spec's objective), and the options an owner may
 * set. A built-in task is one folder exporting a `TaskDefinition`, registered in `registry.ts`.
 */
import type { TaskInfo, TaskMetric } from '@starling/protocol';
import type { z } from 'zod';
import type { DataSet } from './data/set';
import type { Log } from './packing';

/** A task's two splits, in memory. */
export interface TaskData {
  train: DataSet;
  test: DataSet;
}

/** Where a task's data comes from. Tasks with the same `key` share one load (mnist-mlp, mnist-cnn). */
export interface DataSource {
  key: string;
  /** Packs the data into `dataDir` on first use (Node only) and loads both splits. */
  load(dataDir: string, log: Log): Promise<TaskData>;
}

export interface TaskDefinition<O extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  title: string;
  /** A sentence for the dashboard's picker: data, model, what the metric means. */
  description: string;
  metric: TaskMetric;
  /** `taskOptions` of a run config: a strict object whose every field has a default. */
  options: z.ZodType<O, Record<string, unknown>>;
  data: DataSource;
  /** The model and data description for validated options. */
  info(options: O): Pick<TaskInfo, 'model' | 'data'>;
}

/** A task ready to run: what peers are told, and where the server gets the data. */
export interface ResolvedTask {
  info: TaskInfo;
  data: DataSource;
}

/** Identity helper that keeps a definition's option type while registering it untyped. */
export function defineTask<O extends Record<string, unknown>>(t: TaskDefinition<O>): TaskDefinition {
  return t as unknown as TaskDefinition;
}
