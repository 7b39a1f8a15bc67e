import { describe, expect, it } from 'vitest';
import { createApi, type FetchLike } from './api';
import { evaluationColumns } from './evaluations';
import { metricView } from './metric';

describe('a task metric on the dashboard', () => {
  it('charts accuracy as a share, perplexity as exp(loss), MSE as the loss', () => {
    const e = { accuracy: 0.5, loss: Math.log(8) };
    expect(metricView('accuracy').value(e)).toBe(0.5);
    expect(metricView('accuracy').format(0.5)).toMatch(/50\.00\s?%/);
    expect(metricView('perplexity').value(e)).toBeCloseTo(8, 10);
    expect(metricView('perplexity').share).toBe(false);
    expect(metricView('mse').value({ accuracy: null, loss: 0.25 })).toBe(0.25);
  });

  it('puts the metric in the first chart column', () => {
    const evals = [{ t: 1000, runId: 'r', peerId: 1, snapshotSteps: 1, snapshotAgeMs: 0, samples: 10, accuracy: 0.4, loss: Math.log(20), testCount: 5, evalMs: 1, verdict: 'trusted' as const, reason: null, paramNorm: 1, maxAbs: 1 }];
    expect(evaluationColumns(evals, 'time', metricView('perplexity')).ys[0][0]).toBeCloseTo(20, 10);
    expect(evaluationColumns(evals, 'time').ys[0][0]).toBe(0.4);
  });

  it('asks the server for tasks and samples; no samples yet is null, not an error', async () => {
    const answers: Record<string, Response> = {
      '/api/tasks': new Response(JSON.stringify({ tasks: [{ id: 'mnist-cnn' }] }), { status: 200 }),
      '/api/runs/r%201/samples': new Response(JSON.stringify({ error: { code: 'no-samples', message: 'none yet' } }), { status: 404 }),
    };
    const fetch: FetchLike = async (url) => answers[url] ?? new Response('{}', { status: 500 });
    const api = createApi({ token: null, fetch });
    expect((await api.tasks()).map((t) => t.id)).toEqual(['mnist-cnn']);
    expect(await api.samples('r 1')).toBeNull();
  });
});

describe('uploading a task from the dashboard', () => {
  it('posts the multipart form with the token and no JSON content type, and returns the task id; a refusal keeps its reason', async () => {
    const seen: { headers: Headers; body: unknown }[] = [];
    let answer = new Response(JSON.stringify({ task: { id: 'custom-4' } }), { status: 201 });
    const fetch: FetchLike = async (_url, init) => {
      seen.push({ headers: new Headers(init?.headers), body: init?.body });
      return answer;
    };
    const api = createApi({ token: 'tok', fetch });
    const form = new FormData();
    form.set('name', 'x');
    expect(await api.uploadTask(form)).toBe('custom-4');
    expect(seen[0].headers.get('Authorization')).toBe('Bearer tok');
    expect(seen[0].headers.get('Content-Type')).toBeNull();
    expect(seen[0].body).toBe(form);
    answer = new Response(JSON.stringify({ error: { code: 'bad-upload', message: "the CSV has no column 'y'" } }), { status: 400 });
    await expect(api.uploadTask(form)).rejects.toThrow(/no column 'y'/);
  });
});
