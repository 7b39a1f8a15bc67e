import { MnistTask } from '../src/mnist-task';
import { runOne } from '../src/run-one';
import type { BenchAlgorithm } from '../src/algorithms';
const task = await MnistTask.load({ log: () => {} });
const cal = await task.calibrate(20, 100);
console.log('backend', task.backend, 'calib', cal);
const algs = (process.argv[2] ?? 'rfast').split(',') as BenchAlgorithm[];
const lr = Number(process.argv[3] ?? 0.1);
const budget = Number(process.argv[4] ?? 2);
const split = (process.argv[5] ?? 'iid') as 'iid';
for (const a of algs) {
  const r = await runOne(task, { scenario: { n: 8, split, straggle: 'none', loss: 0 }, algorithm: a, lr, seed: 1, stepTime: 0.003, budget, targets: [0.9, 0.95], evalCount: 2000, finalEvalCount: 2000, extend: false });
  console.log(a, lr, 'wall', r.wallSeconds.toFixed(1), 'steps/peer', r.stepsPerPeer, 'timeTo', r.timeTo, 'acc', r.atBudget, 'blocked', r.blockedFraction.toFixed(2), 'skip', r.skipRate.toFixed(2), 'MB/peer', r.mbSentPerPeer.toFixed(1), r.diverged);
  console.log(r.curve.time.map((t, i) => `${t.toFixed(2)}:${r.curve.accuracy[i].toFixed(3)}`).join(' '));
}
