/** runSimulationAsync: the same run as runSimulation when gradients arrive later, observers, refusals. */
import { describe, expect, it } from 'vitest';
import { SimConfigError } from './errors';
import { createProblem, type AsyncProblem, type Problem, type ProblemSpec } from './problems';
import { runSimulation } from './simulator';
import { runSimulationAsync } from './simulator-async';
import { lsConfig } from './test-support';
import type { SimObservation } from './types';

const SPEC: ProblemSpec = { kind: 'least-squares', dim: 10, samplesPerPeer: 20, heterogeneity: 1, batchSize: 4 };

/** Computes the inner problem's gradient only after a macrotask: it reads x late, as TF.js would. */
function later(inner: Problem): AsyncProblem {
  return {
    dim: inner.dim,
    peers: inner.peers,
    x0: inner.x0,
    objective: (members) => inner.objective(members),
    gradient: async (peer, x, out, rng) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      inner.gradient(peer, x, out, rng);
    },
  };
}

function config() {
  return lsConfig({
    settings: { lr: 0.05 },
    network: { latency: 0.01, jitter: 0.03, loss: 0.2, duplicate: 0.1 },
    stop: { time: 6 },
    record: { interval: 0.5, perPeer: false },
    seed: 3,
  });
}

describe('runSimulationAsync', () => {
  it('gives the same result as runSimulation when every gradient arrives asynchronously', async () => {
    const sync = runSimulation({ ...config(), problem: createProblem(SPEC, 8, 3) });
    const seen: SimObservation['record'][] = [];
    const finals: boolean[] = [];
    const async = await runSimulationAsync({
      ...config(),
      problem: later(createProblem(SPEC, 8, 3)),
      observe: (o) => {
        seen.push(o.record);
        finals.push(o.final);
      },
    });
    expect(async).toEqual(sync);
    expect(sync.final.relErrorMean).toBeLessThan(0.5);
    // Every kept record was observed, then the final one, flagged as such.
    expect(seen.slice(0, -1)).toEqual(sync.records);
    expect(seen[seen.length - 1]).toEqual(sync.final);
    expect(finals.filter((f) => f)).toHaveLength(1);
    expect(finals[finals.length - 1]).toBe(true);
  });

  it('hands the observer the live models and stops when it asks to', async () => {
    const problem = createProblem(SPEC, 8, 3);
    const mismatch: number[] = [];
    const r = await runSimulationAsync({
      ...config(),
      problem: later(problem),
      observe: (o) => {
        if (o.final) return undefined;
        expect(o.live).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        // The mean of the observed models is the record's xbar: its objective must match.
        const xbar = new Float64Array(10);
        for (const id of o.live) {
          const x = o.model(id);
          for (let j = 0; j < 10; j++) xbar[j] += x[j];
        }
        for (let j = 0; j < 10; j++) xbar[j] /= o.live.length;
        const f = problem.objective(o.live).value(xbar);
        mismatch.push(Math.abs(f - o.record.objective) / Math.abs(o.record.objective));
        return o.record.time >= 2 ? 'stop' : undefined;
      },
    });
    expect(mismatch).toHaveLength(5); // t = 0, 0.5, 1, 1.5, 2
    for (const m of mismatch) expect(m).toBeLessThan(1e-12);
    expect(r.endReason).toBe('stopped');
    expect(r.endTime).toBe(2);
    expect(r.records[r.records.length - 1].time).toBe(2);
  });

  it('is refused by runSimulation when the gradient is asynchronous', () => {
    expect(() => runSimulation({ ...config(), problem: later(createProblem(SPEC, 8, 3)) as unknown as Problem })).toThrow(SimConfigError);
  });
});
