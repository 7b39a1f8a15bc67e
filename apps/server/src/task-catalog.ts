import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, type RunConfig, type TaskInfo, type TaskSummary } from '@starling/protocol';
import { encodeSet } from '@starling/tasks';
import { builtinSummaries, loadPackedSet, resolveTask, type ResolvedTask } from '@starling/tasks/node';
import type { Store } from './store';
import type { PreparedTask } from './uploads/task-upload';

/**
 * The tasks this server can run: the built-in registry of `@starling/tasks` and the tasks the owner
 * uploaded (a `tasks` row + `<dataDir>/tasks/custom-<n>/`: x0.bin, train.bin, test.bin). Resolving a
 * run config's task happens here so that every layer (lifecycle, routes, evaluation) agrees on it.
 */

const CUSTOM = /^custom-(\d{1,9})$/;

export function customTaskId(id: number): string {
  return `custom-${id}`;
}

export function initialUrl(taskId: string): string {
  return pathTo('taskInitial', { taskId });
}

export class TaskCatalog {
  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
  ) {}

  resolve(config: Pick<RunConfig, 'task' | 'taskOptions'>): ResolvedTask {
    return resolveTask(config, (id) => this.custom(id));
  }

  list(): TaskSummary[] {
    const custom = this.store.tasks.list().map((r): TaskSummary => ({
      id: r.info.id,
      title: r.info.title,
      description: `Uploaded ${new Date(r.createdAt).toISOString().slice(0, 16)}: ${JSON.stringify(r.summary)}`,
      metric: r.info.metric,
      source: 'custom',
      defaultOptions: {},
    }));
    return [...builtinSummaries(), ...custom];
  }

  private dirOf(taskId: string): string {
    return join(this.dataDir, 'tasks', taskId);
  }

  private custom(id: string): ResolvedTask | undefined {
    const m = CUSTOM.exec(id);
    const record = m ? this.store.tasks.get(Number(m[1])) : undefined;
    if (record === undefined) return undefined;
    const dir = this.dirOf(id);
    return {
      info: record.info,
      data: {
        key: id,
        load: async () => {
          const [train, test] = await Promise.all([loadPackedSet(join(dir, 'train.bin')), loadPackedSet(join(dir, 'test.bin'))]);
          return { train, test };
        },
      },
    };
  }

  /** The uploaded weights of a custom task (little-endian float32), or undefined. */
  async initial(taskId: string): Promise<Uint8Array | undefined> {
    if (!CUSTOM.test(taskId) || this.custom(taskId) === undefined) return undefined;
    return readFile(join(this.dirOf(taskId), 'x0.bin'));
  }

  /**
   * Stores a validated upload: the row first (for its id), the files into a temporary folder renamed
   * into place, then the row's TaskInfo; on any failure both are removed again.
   */
  async add(t: PreparedTask, clock: () => number): Promise<TaskInfo> {
    const placeholder: TaskInfo = { ...t.info, id: 'pending', initialUrl: null, model: { ...t.info.model, name: 'pending' } };
    const n = this.store.tasks.insert(t.info.title, clock(), placeholder, t.summary);
    const id = customTaskId(n);
    const dir = this.dirOf(id);
    const tmp = `${dir}.tmp-${process.pid}`;
    try {
      await mkdir(tmp, { recursive: true });
      await writeFile(join(tmp, 'x0.bin'), new Uint8Array(t.x0.buffer, t.x0.byteOffset, t.x0.byteLength));
      await writeFile(join(tmp, 'train.bin'), encodeSet(t.train));
      await writeFile(join(tmp, 'test.bin'), encodeSet(t.test));
      await rename(tmp, dir);
      const info: TaskInfo = { ...t.info, id, initialUrl: initialUrl(id), model: { ...t.info.model, name: id } };
      this.store.tasks.setInfo(n, info);
      return info;
    } catch (e) {
      this.store.tasks.remove(n);
      await rm(tmp, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }
}
