import { pathPattern, type TaskUploadResponse, type TasksResponse } from '@starling/protocol';
import type { RequestContext, Route } from './http-context';
import { HttpError, readBody, sendBytes, sendJson } from './http-util';
import { requireAdmin } from './route-guards';
import { UploadError } from './uploads/errors';
import { prepareTask, type UploadForm } from './uploads/task-upload';

/**
 * Tasks over HTTP: the list a new run may name, an owner's upload of a task of their own, and the
 * uploaded weights peers start from. An upload is checked whole before anything is stored; a
 * refused one changes nothing (no row, no files) and the running run goes on.
 */

async function readForm(ctx: RequestContext): Promise<UploadForm> {
  const type = ctx.req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data;\s*boundary=/i.test(type)) throw new UploadError('send the task as multipart/form-data (fields name, kind, labelColumn, objective; files model, weights, data)');
  const body = await readBody(ctx.req, ctx.deps.tuning.uploads.maxBodyBytes);
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
  } catch (e) {
    throw new UploadError(`the multipart body cannot be read: ${(e as Error).message.slice(0, 200)}`);
  }
  const text = (k: string): string | null => {
    const v = form.get(k);
    return typeof v === 'string' ? v.trim() : null;
  };
  const file = async (k: string): Promise<Uint8Array> => {
    const v = form.get(k);
    if (v === null || typeof v === 'string') throw new UploadError(`the upload has no '${k}' file`);
    return new Uint8Array(await v.arrayBuffer());
  };
  const name = text('name');
  if (name === null || !/^.{1,80}$/.test(name)) throw new UploadError("'name' must be 1-80 characters");
  const kind = text('kind');
  if (kind !== 'csv' && kind !== 'images') throw new UploadError("'kind' must be 'csv' or 'images'");
  const objective = text('objective') ?? 'classification';
  if (objective !== 'classification' && objective !== 'regression') throw new UploadError("'objective' must be 'classification' or 'regression'");
  if (kind === 'images' && objective !== 'classification') throw new UploadError('an image task is a classification');
  const weights = new Map<string, Uint8Array>();
  for (const v of form.getAll('weights')) {
    if (typeof v === 'string') throw new UploadError("'weights' must be files");
    weights.set(v.name, new Uint8Array(await v.arrayBuffer()));
  }
  return { name, kind, objective, labelColumn: text('labelColumn'), modelJson: await file('model'), weights, data: await file('data') };
}

async function uploadTask(ctx: RequestContext): Promise<void> {
  const { deps } = ctx;
  requireAdmin(ctx);
  try {
    const prepared = prepareTask(await readForm(ctx), deps.tuning.uploads);
    const task = await deps.tasks.add(prepared, deps.clock);
    deps.runs.current.counters.tasksUploaded++;
    deps.log(`task ${task.id} uploaded: ${task.title} (${JSON.stringify(prepared.summary)})`);
    const body: TaskUploadResponse = { task };
    sendJson(ctx.res, 201, body);
  } catch (e) {
    if (e instanceof UploadError) {
      deps.runs.current.counters.uploadsRefused++;
      throw new HttpError(e.status, e.status === 413 ? 'payload-too-large' : 'bad-upload', e.message.slice(0, 2000));
    }
    if (e instanceof HttpError) deps.runs.current.counters.uploadsRefused++;
    throw e;
  }
}

async function sendInitial(ctx: RequestContext, [id]: string[]): Promise<void> {
  const bytes = await ctx.deps.tasks.initial(id);
  if (bytes === undefined) throw new HttpError(404, 'not-found', `no uploaded task '${id.slice(0, 80)}'`);
  sendBytes(ctx.res, bytes, ctx.head);
}

export const taskRoutes: Route[] = [
  {
    method: 'GET',
    pattern: pathPattern('tasks'),
    handle: (ctx) => {
      const body: TasksResponse = { tasks: ctx.deps.tasks.list() };
      sendJson(ctx.res, 200, body, ctx.head);
    },
  },
  { method: 'POST', pattern: pathPattern('tasks'), handle: uploadTask },
  { method: 'GET', pattern: pathPattern('taskInitial'), handle: sendInitial },
];
