import { parseRunConfig, pathTo, type HttpErrorBody, type TaskUploadResponse, type TasksResponse, type WelcomePayload } from '@starling/protocol';
import { decodeSet } from '@starling/tasks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, TestSession } from './test-support';
import { bandPng, convModel, csvTable, denseModel, makeZip, saveModel, uploadForm, type SavedModel } from './uploads/testing';
import { selectBackend } from '@starling/training';

/**
 * An owner uploads a task: a TF.js model and a CSV or a zip of image folders. The server checks
 * everything before storing anything; each bad upload in the matrix is refused with a message that
 * says what is wrong, and the server, its database and the running run are unaffected.
 */

const session = new TestSession();
afterEach(() => session.cleanup());

let csvModel: SavedModel;
let imageModel: SavedModel;
const CSV = new TextEncoder().encode(csvTable(120, 4, 3));

beforeAll(async () => {
  await selectBackend(['cpu']);
  csvModel = await saveModel(denseModel(4, 3));
  imageModel = await saveModel(convModel(8, 1, 3));
});

function post(url: string, form: FormData, token = true): Promise<Response> {
  const headers: Record<string, string> = token ? { Authorization: adminHeaders().Authorization } : {};
  return fetch(`${url}${pathTo('tasks')}`, { method: 'POST', body: form, headers });
}

function imageZip(classes: number, perClass: number): Uint8Array {
  const entries = [];
  for (let c = 0; c < classes; c++) for (let i = 0; i < perClass; i++) entries.push({ name: `shapes/class-${c}/img${i}.png`, data: bandPng(12, c, classes, i) });
  return makeZip(entries);
}

describe('uploading a task', () => {
  it('stores a valid CSV task, lists it, and a run of it serves the data and the uploaded weights', async () => {
    const s = await session.start({}, { options: {} });
    const res = await post(s.url, uploadForm({ kind: 'csv', labelColumn: 'y', model: csvModel, data: CSV }));
    expect(res.status).toBe(201);
    const { task } = (await res.json()) as TaskUploadResponse;
    expect(task).toMatchObject({ id: 'custom-1', title: 'my task', metric: 'accuracy', model: { kind: 'layers', inputShape: [4], objective: { kind: 'classification', classes: 3 } } });
    const listed = (await (await fetch(`${s.url}/api/tasks`)).json()) as TasksResponse;
    expect(listed.tasks.map((t) => t.id)).toContain('custom-1');

    const start = await fetch(`${s.url}/api/runs`, { method: 'POST', headers: adminHeaders(), body: JSON.stringify({ config: { task: 'custom-1', shards: { count: 2 } } }) });
    expect(start.status).toBe(201);
    const { welcome } = await session.peer(s.url);
    expect((welcome as WelcomePayload).task.id).toBe('custom-1');
    const x0 = new Uint8Array(await (await fetch(`${s.url}${welcome.task.initialUrl}`)).arrayBuffer());
    expect(x0).toEqual(csvModel.weights);
    const shard = decodeSet(new Uint8Array(await (await fetch(`${s.url}${welcome.shard.url}`)).arrayBuffer()));
    expect(shard.featureShape).toEqual([4]);
    expect(shard.features).toBeInstanceOf(Float32Array);
    const test = decodeSet(new Uint8Array(await (await fetch(`${s.url}${welcome.testUrl}`)).arrayBuffer()));
    expect(test.count + 2 * Math.floor(108 / 2)).toBeGreaterThanOrEqual(120 - 1);
  });

  it('stores an image-folder task: PNGs resized to the model input, classes from the folder names', async () => {
    const s = await session.start({}, { options: {} });
    const res = await post(s.url, uploadForm({ kind: 'images', model: imageModel, data: imageZip(3, 10) }));
    expect(res.status).toBe(201);
    const { task } = (await res.json()) as TaskUploadResponse;
    expect(task.data).toEqual({ layout: 'examples', classNames: ['class-0', 'class-1', 'class-2'], image: [8, 8, 1] });
    expect(s.store.tasks.list()).toHaveLength(1);
  });

  it('refuses each bad upload with a specific message; nothing is stored and the run goes on', async () => {
    const s = await session.start({ runId: 'steady' }, { options: {}, tuning: { uploads: { ...(await import('./config')).SERVER_TUNING.uploads, maxBodyBytes: 400_000, maxParams: 5000 } } });
    const nanModel = { ...csvModel, weights: csvModel.weights.slice() };
    new DataView(nanModel.weights.buffer).setFloat32(8, Number.NaN, true);
    const truncated = imageZip(2, 10);
    const traversal = makeZip([{ name: '../evil/a.png', data: bandPng(8, 0, 2, 0) }, { name: 'b/x.png', data: bandPng(8, 1, 2, 0) }]);
    const bomb = makeZip([{ name: 'a/zeros.png', data: new Uint8Array(3_000_000) }, { name: 'b/x.png', data: bandPng(8, 1, 2, 0) }]);
    const cases: [string, FormData, number, RegExp][] = [
      ['wrong input shape', uploadForm({ kind: 'csv', labelColumn: 'y', model: await saveModel(denseModel(5, 3)), data: CSV }), 400, /input must be \[4\]/],
      ['oversized body', uploadForm({ kind: 'csv', labelColumn: 'y', model: csvModel, data: new Uint8Array(500_000) }), 413, /exceeds 400000 bytes/],
      ['truncated zip', uploadForm({ kind: 'images', model: imageModel, data: truncated.subarray(0, truncated.length - 30) }), 400, /end-of-directory|truncated|corrupt/],
      ['non-numeric CSV', uploadForm({ kind: 'csv', labelColumn: 'y', model: csvModel, data: new TextEncoder().encode('a,b,c,d,y\n1,2,x,4,0\n') }), 400, /row 2, column 'c': 'x' is not a finite number/],
      ['NaN weights', uploadForm({ kind: 'csv', labelColumn: 'y', model: nanModel, data: CSV }), 400, /must be finite/],
      ['label out of range', uploadForm({ kind: 'csv', labelColumn: 'y', model: await saveModel(denseModel(4, 2)), data: CSV }), 400, /label 2 is out of range: the model has 2 outputs/],
      ['model too large', uploadForm({ kind: 'csv', labelColumn: 'y', model: await saveModel(denseModel(4, 1000)), data: CSV }), 413, /more than 5000 parameters/],
      ['unknown label column', uploadForm({ kind: 'csv', labelColumn: 'label', model: csvModel, data: CSV }), 400, /no column 'label'/],
      ['softmax output', uploadForm({ kind: 'csv', labelColumn: 'y', model: await saveModel(denseModel(4, 3, 'softmax')), data: CSV }), 400, /applies softmax; remove it/],
      ['path traversal in the zip', uploadForm({ kind: 'images', model: imageModel, data: traversal }), 400, /unsafe name/],
      ['zip bomb', uploadForm({ kind: 'images', model: imageModel, data: bomb }), 413, /compression ratio over 100/],
      ['regression model with 3 outputs', uploadForm({ kind: 'csv', labelColumn: 'y', objective: 'regression', model: csvModel, data: CSV }), 400, /must output 1 value/],
      ['weights file missing', (() => { const f = uploadForm({ kind: 'csv', labelColumn: 'y', model: csvModel, data: CSV }); f.delete('weights'); return f; })(), 400, /was not uploaded/],
    ];
    for (const [what, form, status, message] of cases) {
      const res = await post(s.url, form);
      const body = (await res.json()) as HttpErrorBody;
      expect({ what, status: res.status, message: body.error.message }).toMatchObject({ what, status, message: expect.stringMatching(message) });
    }
    expect((await post(s.url, uploadForm({ kind: 'csv', labelColumn: 'y', model: csvModel, data: CSV }), false)).status).toBe(401);
    expect(s.store.tasks.list()).toEqual([]);
    expect(s.run.runId).toBe('steady');
    expect(s.run.counters).toMatchObject({ uploadsRefused: cases.length, tasksUploaded: 0 });
    const info = (await (await fetch(`${s.url}/api/run`)).json()) as { runId: string };
    expect(info.runId).toBe('steady');
    // A run naming a task that does not exist is refused too, naming the field.
    const bad = await fetch(`${s.url}/api/runs`, { method: 'POST', headers: adminHeaders(), body: JSON.stringify({ config: parseRunConfig({ task: 'custom-9' }) }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as HttpErrorBody).error.message).toMatch(/task: no task 'custom-9'/);
  });
});
