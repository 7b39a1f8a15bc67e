import { expect, test, type Browser } from '@playwright/test';
import type { EvaluationsResponse, TaskUploadResponse } from '@starling/protocol';
import { selectBackend } from '@starling/training';
import { bandPng, convModel, csvTable, denseModel, makeZip, saveModel, uploadForm } from '../apps/server/src/uploads/testing';
import { launchChromium } from './support/chromium';
import { startServer } from './support/server';
import { useSpecCleanup } from './support/cleanup';
import { joinVolunteer, status, waitFor } from './support/swarm';

/**
 * Bring your own task, as an owner would: upload a TF.js model with a CSV (or a zip of image
 * folders) over HTTP, start a run of it, and three real tabs train it over WebRTC; the server's own
 * evaluation of their snapshots (on the held-out examples of the upload) must beat chance clearly.
 */

const TOKEN = 'e2e-owner-token-0123456789';
let browser: Browser;
const st = useSpecCleanup();

test.beforeAll(async () => {
  browser = await launchChromium();
  await selectBackend(['cpu']); // for building the uploaded models here
});
test.afterAll(async () => {
  await browser?.close();
});

async function uploadAndRun(form: FormData, runId: string): Promise<string> {
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const up = await fetch(`${st.server!.url}/api/tasks`, { method: 'POST', body: form, headers: auth });
  expect(up.status, await up.clone().text()).toBe(201);
  const { task } = (await up.json()) as TaskUploadResponse;
  const config = { runId, task: task.id, lr: 0.3, batchSize: 16, evalEverySteps: 0, snapshotIntervalMs: 2000, shards: { count: 3 } };
  const run = await fetch(`${st.server!.url}/api/runs`, { method: 'POST', body: JSON.stringify({ config }), headers: { ...auth, 'Content-Type': 'application/json' } });
  expect(run.status, await run.clone().text()).toBe(201);
  return task.id;
}

/** The best server-evaluated accuracy of the run's snapshots, once it reaches `target`. */
async function trainsTo(runId: string, target: number, taskId: string): Promise<number> {
  st.tabs = [];
  for (let i = 0; i < 3; i++) st.tabs.push(await joinVolunteer(browser, st.server!.url, `tab${i}`, '?backends=wasm,cpu'));
  const best = await waitFor(`server-evaluated accuracy >= ${target}`, 180_000, async () => {
    const ss = await Promise.all(st.tabs.map(status));
    for (const s of ss) if (s.phase === 'error') throw new Error(`a tab failed: ${s.error?.message}`);
    const { evaluations } = (await (await fetch(`${st.server!.url}/api/runs/${runId}/evaluations`)).json()) as EvaluationsResponse;
    const acc = Math.max(0, ...evaluations.map((e) => e.accuracy ?? 0));
    console.log(`${taskId}: steps ${ss.map((s) => s.steps).join(' ')} backends ${ss.map((s) => s.backend).join(' ')} best accuracy ${acc.toFixed(3)}`);
    // Every tab must take part, not only the first to join.
    return acc >= target && ss.every((s) => s.steps >= 20) ? acc : null;
  }, 2000);
  for (const s of await Promise.all(st.tabs.map(status))) {
    expect(s.task).toBe(taskId);
    expect(s.startedFrom).not.toBeNull();
  }
  return best;
}

test('an uploaded CSV task (3 classes) trains in 3 tabs', async () => {
  st.server = await startServer({ runId: 'before-upload' }, { adminToken: TOKEN });
  const model = await saveModel(denseModel(4, 3));
  const id = await uploadAndRun(uploadForm({ name: 'argmax table', kind: 'csv', labelColumn: 'y', model, data: new TextEncoder().encode(csvTable(900, 4, 3)) }), 'csv-run');
  const acc = await trainsTo('csv-run', 0.7, id);
  console.log(`CSV task ${id}: best server-evaluated accuracy ${acc.toFixed(3)} (chance 0.33)`);
});

test('an uploaded image-folder task (3 classes of PNGs) trains in 3 tabs', async () => {
  st.server = await startServer({ runId: 'before-upload' }, { adminToken: TOKEN });
  const model = await saveModel(convModel(8, 1, 3));
  const entries = [];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 40; i++) entries.push({ name: `bands/c${c}/${i}.png`, data: bandPng(16, c, 3, i) });
  const id = await uploadAndRun(uploadForm({ name: 'bands', kind: 'images', model, data: makeZip(entries) }), 'image-run');
  const acc = await trainsTo('image-run', 0.7, id);
  console.log(`image task ${id}: best server-evaluated accuracy ${acc.toFixed(3)} (chance 0.33)`);
});
