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
