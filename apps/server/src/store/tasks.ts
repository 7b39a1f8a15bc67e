import type { TaskInfo } from '@starling/protocol';
import type { Db } from './db';

/** Tasks the owner uploaded: one row each; their files live in `<dataDir>/tasks/custom-<id>/`. */

export interface TaskRecord {
  id: number;
  name: string;
  createdAt: number;
  info: TaskInfo;
  /** What the upload held (rows, classes, parameters, ...), for the task list. */
  summary: Record<string, unknown>;
}

interface Row {
  id: number;
  name: string;
  created_at: number;
  info: string;
  summary: string;
}

function toRecord(r: Row): TaskRecord {
  return { id: r.id, name: r.name, createdAt: r.created_at, info: JSON.parse(r.info) as TaskInfo, summary: JSON.parse(r.summary) as Record<string, unknown> };
}

export class TaskStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      insert: db.prepare<[string, number, string, string]>(`INSERT INTO tasks (name, created_at, info, summary) VALUES (?, ?, ?, ?)`),
      setInfo: db.prepare<[string, number]>(`UPDATE tasks SET info = ? WHERE id = ?`),
      get: db.prepare<[number], Row>(`SELECT * FROM tasks WHERE id = ?`),
      list: db.prepare<[], Row>(`SELECT * FROM tasks ORDER BY id`),
      remove: db.prepare<[number]>(`DELETE FROM tasks WHERE id = ?`),
    };
  }

  /** A new row; `info` is completed with the id by `setInfo` once the files are in place. */
  insert(name: string, createdAt: number, info: TaskInfo, summary: Record<string, unknown>): number {
    return Number(this.q.insert.run(name, createdAt, JSON.stringify(info), JSON.stringify(summary)).lastInsertRowid);
  }

  setInfo(id: number, info: TaskInfo): void {
    this.q.setInfo.run(JSON.stringify(info), id);
  }

  get(id: number): TaskRecord | undefined {
    const r = this.q.get.get(id);
    return r === undefined ? undefined : toRecord(r);
  }

  list(): TaskRecord[] {
    return this.q.list.all().map(toRecord);
  }

  remove(id: number): void {
    this.q.remove.run(id);
  }
}
