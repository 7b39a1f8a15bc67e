import { describe, expect, it } from 'vitest';
import type { BenchAlgorithm } from './algorithms';
import type { ComparisonResult } from './comparison';
import { comparisonReport, summaryTable } from './report-comparison';
import type { RunOutcome } from './run-one';
import { scenarioId, type Scenario } from './scenarios';

const S: Scenario = { n: 8, split: 'iid', straggle: 'none', loss: 0 };

function run(algorithm: BenchAlgorithm, speed: number, final: number): RunOutcome {
  // Accuracy rises linearly at `speed` per second, capped at `final`.
  const time = [0, 1, 2, 3, 4];
  const accuracy = time.map((t) => Math.min(final, 0.5 + speed * t));
  const timeTo = [0.9, 0.95].map((target) => (final >= target ? (target - 0.5) / speed : null));
  return {
    scenario: scenarioId(S), algorithm, lr: 0.1, seed: 1, curve: { time, accuracy, loss: time.map(() => 1) }, timeTo,
    atBudget: { accuracy: accuracy[4], accuracyFinal: accuracy[4], peerMean: accuracy[4] - 0.01, peerMin: accuracy[4] - 0.02, consensus: 0.1 },
    horizon: 4, endReason: 'stopped', diverged: null, stepsPerPeer: 100, blockedFraction: 0.5, mbSentPerPeer: 10, lossRate: 0, skipRate: 0.2,
    retransmitsPerMessage: 0, ejections: [], wallSeconds: 1,
  };
}

function result(): ComparisonResult {
  return {
    preset: 'test', seed: 1, backend: 'wasm', timing: { median: 0.004, cpuP10: 0.003, cpuP90: 0.005, wallMedian: 0.004, wallP10: 0.003, wallP90: 0.006, steps: 10 }, stepTime: 0.004, sendBuffer: 131072, budget: 4,
    targets: [0.9, 0.95], reference: 'rfast', evalCount: 2000, finalEvalCount: 10000, tuning: null, tuningBudget: null,
    lr: { rfast: 0.1, 'rfast-f32': 0.1, allreduce: 0.1, dpsgd: 0.1, adpsgd: 0.1, osgp: 0.1, gossip: 0.1, solo: 0.1 },
    scenarios: [{ scenario: S, id: scenarioId(S), label: 'base', runs: [run('rfast', 0.2, 0.97), run('dpsgd', 0.1, 0.97), run('gossip', 0.1, 0.92)] }],
    wallSeconds: 60,
  };
}

describe('comparison report', () => {
  it('puts each algorithm\'s time-to-target ratio to the reference in the summary', () => {
    // Reference reaches 90% at 2 s; D-PSGD at 4 s (2x); gossip at 4 s too; 95%: gossip never (>= 4/2.25).
    const t90 = summaryTable(result(), 0).split('\n');
    expect(t90[2]).toBe('| base | 2.00 | 2.00x | 2.00x |');
    const t95 = summaryTable(result(), 1).split('\n');
    expect(t95[2]).toBe(`| base | 2.25 | 2.00x | >= ${(4 / 2.25).toFixed(2)}x |`);
  });

  it('marks algorithms a scenario did not run', () => {
    const r = result();
    r.scenarios.push({ ...r.scenarios[0], id: 'other', label: 'other', runs: r.scenarios[0].runs.filter((x) => x.algorithm !== 'dpsgd') });
    expect(summaryTable(r, 0).split('\n')[3]).toBe('| other | 2.00 | not run | 2.00x |');
  });

  it('writes the markdown with one table and one plot per scenario', () => {
    const files = comparisonReport(result(), 'npx tsx apps/cli/src/bench.ts --preset test');
    expect(files.map((f) => f.path)).toEqual(['comparison.md', `plots/${scenarioId(S)}.svg`]);
    const md = files[0].text;
    expect(md).toContain('Regenerate: `npx tsx apps/cli/src/bench.ts --preset test`');
    expect(md).toContain(`![accuracy against time, base](plots/${scenarioId(S)}.svg)`);
    const row = md.split('\n').find((l) => l.startsWith('| Gossip local SGD |')) ?? '';
    const cells = row.split('|').map((c) => c.trim());
    expect(cells[3]).toBe('4.00'); // to 90%
    expect(cells[5]).toBe('> 4.00'); // to 95%: not reached within the run
    expect(cells[8]).toBe('-7.0 pp'); // 90% at the budget (t = 4) against the reference's 97%
    expect((files[1].text.match(/<polyline/g) ?? []).length).toBe(3);
    // Accuracy summary: average model / mean of the peers, per algorithm.
    expect(md).toContain('| base | 97.0% / 96.0% | 90.0% / 89.0% | 90.0% / 89.0% |');
    // A result saved before the task was recorded ran the MLP.
    expect(md).toContain('- Model: MLP 784-64-10, batch 32');
  });

  it('names the task the gradients came from when the result records it', () => {
    const r = { ...result(), task: { id: 'mnist-cnn', title: 'MNIST digits, LeNet-style CNN', model: 'cnn-x', params: 54_314 } };
    const md = comparisonReport(r, 'cmd')[0].text;
    expect(md).toContain('- Task `mnist-cnn`: MNIST digits, LeNet-style CNN (cnn-x, 54,314 parameters), batch 32,');
    expect(md).not.toContain('MLP 784-64-10');
  });
});
