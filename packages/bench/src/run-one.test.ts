import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchTask } from './bench-task';
import { runOne, type RunPlan } from './run-one';

/** A short real run (MNIST MLP gradients, 4 peers, 40 step times) scored both ways. */
describe('runOne scores', () => {
  let task: BenchTask;
  beforeAll(async () => {
    task = await BenchTask.load();
  }, 120_000);
  afterAll(() => task?.dispose());

  const plan = (score: RunPlan['score']): RunPlan => ({
    scenario: { n: 4, split: 'iid', straggle: 'none', loss: 0 },
    algorithm: 'rfast',
    lr: 0.4,
    seed: 3,
    stepTime: 0.004,
    budget: 40 * 0.004,
    targets: [0.5],
    evalCount: 300,
    finalEvalCount: 300,
    extend: false,
    sendBuffer: 128 * 1024,
    score,
  });

  it("scores the worst peer's own model, from the same simulation as the average model's curve", async () => {
    const avg = await runOne(task, plan('average'));
    const worst = await runOne(task, plan('worst-peer'));
    // The score changes what is evaluated, never the simulation: the same records and peers.
    expect(worst.curve.time).toEqual(avg.curve.time);
    expect(worst.atBudget!.peerMin).toBe(avg.atBudget!.peerMin);
    expect(worst.atBudget!.peerMean).toBe(avg.atBudget!.peerMean);
    // The worst-peer curve ends at the worst peer; the average one at the average model.
    expect(worst.atBudget!.accuracy).toBe(worst.atBudget!.peerMin);
    expect(worst.curve.accuracy.at(-1)).toBe(worst.atBudget!.peerMin);
    expect(avg.atBudget!.accuracy).not.toBe(avg.atBudget!.peerMin);
  }, 120_000);

  it('reports a bad setting as an error, not as a run that diverged', async () => {
    await expect(runOne(task, { ...plan('average'), settings: { encoding: 'f8' } })).rejects.toThrow(/encoding must be one of/);
  }, 120_000);
});
