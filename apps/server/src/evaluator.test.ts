import { evalArrays } from '@starling/tasks';
import { ioOf } from '@starling/training';

const INPUT_SIZE = 784;
import { describe, expect, it } from 'vitest';
import { SnapshotEvaluator, type EvaluatorOptions, type Measurement, type Snapshot } from './evaluator';
import { syntheticSet, until as waitUntil } from './test-support';

/**
 * The queue alone, with a stub model: "accuracy" is the fraction of test labels equal to
 * params[0], so every figure is known exactly. Each evaluate call can be held until released.
 */
function setup(over: Partial<EvaluatorOptions> = {}) {
  const test = syntheticSet(50, 3);
  const calls: { count: number }[] = [];
  let hold: Promise<void> | undefined;
  let release = () => {};
  const results: Measurement[] = [];
  const superseded: Snapshot[] = [];
  const errors: unknown[] = [];
  let now = 1000;
  // The chunk timer: each stub evaluation takes msPerExample per example on it.
  let ticks = 0;
  const cost = { msPerExample: 0 };
  const evaluator = new SnapshotEvaluator({
    runtime: {
      trainerFor: async () => ({
        io: ioOf({ kind: 'mlp', hidden: [4] }),
        evaluate: async (x: Float32Array, images, labels, count: number) => {
          expect(images.length).toBe(count * INPUT_SIZE);
          calls.push({ count });
          ticks += count * cost.msPerExample;
          if (hold !== undefined) await hold;
          if (x[0] < 0) throw new Error('stub failure');
          let hits = 0;
          for (let i = 0; i < count; i++) if (labels[i] === x[0]) hits++;
          return { loss: x[0], accuracy: hits / count };
        },
      }),
    },
    evalArrays: async (_runId, max) => evalArrays(test, max),
    testCount: 50,
    chunkSize: 20,
    chunkMs: 50,
    timer: () => ticks,
    minIntervalMs: 0,
    clock: () => now,
    samplesOf: () => 777,
    onResult: (e) => results.push(e),
    onError: (e) => errors.push(e),
    onSuperseded: (s) => superseded.push(s),
    ...over,
  });
  const snap = (label: number, steps = 0): Snapshot => ({
    runId: 'r',
    peerId: label,
    steps,
    task: { id: 't', title: 't', model: { kind: 'mlp', hidden: [4] }, data: { layout: 'examples', classNames: null, image: null }, metric: 'accuracy', initialUrl: null },
    params: Float32Array.of(label),
    receivedAt: now,
  });
  const holdNext = () => {
    hold = new Promise<void>((r) => (release = () => {
      hold = undefined;
      r();
    }));
  };
  const until = (cond: () => boolean) => waitUntil(cond, 'the evaluator');
  return { evaluator, test, calls, cost, results, superseded, errors, snap, holdNext, release: () => release(), until, advance: (ms: number) => (now += ms) };
}

describe('SnapshotEvaluator', () => {
  it('evaluates the whole test set in chunks and reports exact figures', async () => {
    const h = setup();
    h.evaluator.submit(h.snap(3, 42));
    await h.until(() => h.results.length === 1);
    let want = 0;
    for (const l of h.test.targets!) if (l === 3) want++;
    expect(h.results[0]).toMatchObject({ runId: 'r', peerId: 3, snapshotSteps: 42, samples: 777, testCount: 50, loss: 3 });
    expect(h.results[0].accuracy).toBe(want / 50);
    // One example first, then as many as chunkSize allows (the stub takes no time).
    expect(h.calls.map((c) => c.count)).toEqual([1, 20, 20, 9]);
  });

  it('sizes its chunks from the measured time per example, so no chunk holds the event loop much past chunkMs', async () => {
    const h = setup();
    h.cost.msPerExample = 12; // a slow model: 20 examples would hold the loop for 240 ms
    h.evaluator.submit(h.snap(3));
    await h.until(() => h.results.length === 1);
    const counts = h.calls.map((c) => c.count);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(50);
    expect(counts[0]).toBe(1);
    expect(Math.max(...counts) * h.cost.msPerExample).toBeLessThanOrEqual(50);
    expect(counts.slice(1, -1).every((c) => c === 4)).toBe(true); // floor(50 / 12)
  });

  it('keeps only the newest waiting snapshot while one is being evaluated', async () => {
    const h = setup();
    h.holdNext();
    h.evaluator.submit(h.snap(1));
    await h.until(() => h.calls.length === 1);
    h.advance(100);
    h.evaluator.submit(h.snap(2));
    h.evaluator.submit(h.snap(3));
    h.advance(100);
    h.evaluator.submit(h.snap(4));
    h.advance(50);
    h.release();
    await h.until(() => h.results.length === 2);
    expect(h.results.map((r) => r.peerId)).toEqual([1, 4]);
    expect(h.superseded.map((s) => s.peerId)).toEqual([2, 3]);
    // The age runs from arrival to the end of the evaluation, waiting included.
    expect(h.results.map((r) => r.snapshotAgeMs)).toEqual([250, 50]);
  });

  it('takes a snapshot submitted from the result callback of the previous one', async () => {
    const h = setup({
      onResult: (e) => {
        h.results.push(e);
        // What a fast uploader can do: the next snapshot arrives as the last result goes out.
        if (e.peerId === 1) queueMicrotask(() => h.evaluator.submit(h.snap(2)));
      },
    });
    h.evaluator.submit(h.snap(1));
    await h.until(() => h.results.length === 2);
    expect(h.results.map((r) => r.peerId)).toEqual([1, 2]);
  });

  it('reports a failed evaluation and carries on with the next snapshot', async () => {
    const h = setup();
    h.evaluator.submit(h.snap(-1));
    await h.until(() => h.errors.length === 1);
    h.evaluator.submit(h.snap(5));
    await h.until(() => h.results.length === 1);
    expect((h.errors[0] as Error).message).toBe('stub failure');
  });

  it('spaces evaluations by minIntervalMs and drops waiting work on close', async () => {
    const h = setup({ minIntervalMs: 60_000 });
    h.evaluator.submit(h.snap(1));
    await h.until(() => h.results.length === 1);
    h.evaluator.submit(h.snap(2)); // waits for a minute of the injected clock
    await new Promise((r) => setImmediate(r));
    expect(h.calls.length).toBe(4);
    await h.evaluator.close();
    expect(h.results.length).toBe(1);
    h.evaluator.submit(h.snap(3));
    expect(h.calls.length).toBe(4);
  });
});
