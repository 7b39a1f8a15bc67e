import type { RunConfig, TaskSummary } from '@starling/protocol';
import { builtinSummaries, resolveTask, type ResolvedTask } from '@starling/tasks/node';

/**
 * The tasks this server can run: the built-in registry of `@starling/tasks`. Resolving a run
 * config's task happens here so that every layer (lifecycle, routes, evaluation) agrees on it.
 */
export class TaskCatalog {
  resolve(config: Pick<RunConfig, 'task' | 'taskOptions'>): ResolvedTask {
    return resolveTask(config);
  }

  list(): TaskSummary[] {
    return builtinSummaries();
  }
}
