/**
 * From a run config's `task` + `taskOptions` to a ResolvedTask: the registry's built-in tasks, or
 * (through `custom`) the server's uploaded ones. Node only (the registry loads data from disk).
 */
import { describeIssues, issuesFromZod, type TaskSummary, type ValidationIssue } from '@starling/protocol';
import { BUILTIN_TASKS } from './registry';
import type { ResolvedTask, TaskData, DataSource, TaskDefinition } from './task';
import type { Log } from './packing';

/** Unknown task id or bad task options; `issues` name the fields (`taskOptions.hidden[1]`). */
export class TaskError extends Error {
  override readonly name = 'TaskError';
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid task: ${describeIssues(issues)}`);
  }
}

export function builtinTask(id: string): TaskDefinition | undefined {
  return BUILTIN_TASKS.find((t) => t.id === id);
}

/** Resolves a built-in task; undefined when `id` is not one, TaskError when the options are bad. */
export function resolveBuiltinTask(id: string, options: Record<string, unknown>): ResolvedTask | undefined {
  const def = builtinTask(id);
  if (def === undefined) return undefined;
  const parsed = def.options.safeParse(options);
  if (!parsed.success) {
    throw new TaskError(issuesFromZod(parsed.error).map((i) => ({ ...i, path: i.path ? `taskOptions.${i.path}` : 'taskOptions' })));
  }
  const { model, data } = def.info(parsed.data);
  return { info: { id: def.id, title: def.title, model, data, metric: def.metric, initialUrl: null }, data: def.data };
}

/**
 * The task a run config names. `custom` looks up uploaded tasks (the server's database); a custom
 * task takes no options.
 */
export function resolveTask(
  config: { task: string; taskOptions: Record<string, unknown> },
  custom: (id: string) => ResolvedTask | undefined = () => undefined,
): ResolvedTask {
  const builtin = resolveBuiltinTask(config.task, config.taskOptions);
  if (builtin !== undefined) return builtin;
  const uploaded = custom(config.task);
  if (uploaded === undefined) {
    const ids = BUILTIN_TASKS.map((t) => t.id).join(', ');
    throw new TaskError([{ path: 'task', message: `no task '${config.task}': built-in tasks are ${ids}; uploaded ones are listed by GET /api/tasks` }]);
  }
  if (Object.keys(config.taskOptions).length > 0) {
    throw new TaskError([{ path: 'taskOptions', message: `an uploaded task takes no options (its model is the uploaded one)` }]);
  }
  return uploaded;
}

/** The built-in tasks as the dashboard lists them. */
export function builtinSummaries(): TaskSummary[] {
  return BUILTIN_TASKS.map((t) => ({
    id: t.id,
    title: t.title,
    description: t.description,
    metric: t.metric,
    source: 'builtin',
    defaultOptions: t.options.parse({}),
  }));
}

/**
 * One load per data source key for the life of the process (mnist-mlp and mnist-cnn share MNIST);
 * a failed load is retried by the next call.
 */
export function dataCache(dataDir: string, log: Log): (source: DataSource) => Promise<TaskData> {
  const loads = new Map<string, Promise<TaskData>>();
  return (source) => {
    let p = loads.get(source.key);
    if (p === undefined) {
      p = source.load(dataDir, log).catch((e: unknown) => {
        loads.delete(source.key);
        throw e;
      });
      loads.set(source.key, p);
    }
    return p;
  };
}
