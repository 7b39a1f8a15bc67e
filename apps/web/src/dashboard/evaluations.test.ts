import { describe, expect, it } from 'vitest';
import { comparisonColumns, evaluationColumns, hasCheckpoint, latestEvaluation, mergeEvaluations, rejectedEvaluations, trustedEvaluations } from './evaluations';
import type { Evaluation, MetricPoint } from './types';

const ev = (t: number, accuracy: number, peerId = 0, samples = t * 10): Evaluation => ({
  t, runId: 'r', peerId, snapshotSteps: t, snapshotAgeMs: 100, samples, accuracy, loss: 1 - accuracy, testCount: 10_000, evalMs: 5,
  verdict: 'trusted', reason: null, paramNorm: 10, maxAbs: 1,
});

describe('evaluations', () => {
  it('merges new evaluations sorted and without duplicates, and thins old ones past the cap', () => {
    const a = mergeEvaluations([], [ev(3, 0.5), ev(1, 0.2)], 100);
    expect(a.map((e) => e.t)).toEqual([1, 3]);
    const b = mergeEvaluations(a, [ev(3, 0.5), ev(2, 0.3), { ...ev(4, 0.6), accuracy: Number.NaN }], 100);
    expect(b.map((e) => e.t)).toEqual([1, 2, 3]);
    const many = mergeEvaluations([], Array.from({ length: 10 }, (_, i) => ev(i, i / 10)), 8);
    expect(many.length).toBeLessThanOrEqual(8);
    expect(many[many.length - 1].t).toBe(9);
    expect(latestEvaluation(many)?.t).toBe(9);
  });

  it('gives accuracy and loss columns against time (s) or samples', () => {
    const list = [ev(1000, 0.5), ev(2000, 0.7)];
    expect(evaluationColumns(list, 'time')).toEqual({ x: [1, 2], ys: [[0.5, 0.7], [0.5, 1 - 0.7]] });
    expect(evaluationColumns(list, 'samples').x).toEqual(list.map((e) => e.samples));
  });

  it('overlays two runs on one samples axis', () => {
    const m = (samples: number, meanLoss: number): MetricPoint => ({ t: samples, samples, meanLoss, minLoss: null, maxLoss: null, stepsPerSec: 1, peers: 1 });
    const runA = { runId: 'a', metrics: [m(0, 2), m(100, 1)], evaluations: [ev(1, 0.4, 0, 50)] };
    const runB = { runId: 'b', metrics: [m(50, 1.5)], evaluations: [ev(1, 0.6, 0, 50), ev(2, 0.8, 0, 150)] };
    const loss = comparisonColumns([runA, runB], 'loss', 100);
    expect(loss.x).toEqual([0, 50, 100]);
    expect(loss.ys).toEqual([[2, null, 1], [null, 1.5, null]]);
    const acc = comparisonColumns([runA, runB], 'accuracy', 100);
    expect(acc.x).toEqual([50, 150]);
    expect(acc.ys).toEqual([[0.4, null], [0.6, 0.8]]);
  });

  it('keeps rejected snapshots (even with a non-finite loss) apart from the trusted ones', () => {
    const bad: Evaluation = { ...ev(4, 0.1, 7), loss: null, verdict: 'rejected', reason: 'its test loss is NaN' };
    const all = mergeEvaluations([], [ev(1, 0.5), { ...ev(2, 0.6), verdict: 'checkpoint' }, bad], 100);
    expect(all).toHaveLength(3);
    expect(trustedEvaluations(all).map((e) => e.t)).toEqual([1, 2]);
    expect(rejectedEvaluations(all)).toEqual([bad]);
    expect(latestEvaluation(all)?.t).toBe(2);
    expect(hasCheckpoint(all)).toBe(true);
    expect(hasCheckpoint([ev(1, 0.5), bad])).toBe(false);
  });
});
