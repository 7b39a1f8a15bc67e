import { Rng } from '@starling/core';
import { describe, expect, it } from 'vitest';
import { distance, norm } from './linalg';
import { createProblem, type Problem, type ProblemSpec } from './problems';

/** Norm of the mean exact gradient over members at x, computed through the public gradient(). */
function meanGradNorm(p: Problem, members: number[], x: ArrayLike<number>): number {
  const xf = Float32Array.from(x);
  const g = new Float32Array(p.dim);
  const sum = new Float64Array(p.dim);
  for (const id of members) {
    p.gradient(id, xf, g, new Rng(0));
    for (let j = 0; j < p.dim; j++) sum[j] += g[j] / members.length;
  }
  return norm(sum);
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe.each<ProblemSpec['kind']>(['least-squares', 'logistic'])('%s problem', (kind) => {
  const spec: ProblemSpec = { kind, dim: 8, samplesPerPeer: 30, heterogeneity: 1 };

  it('knows its optimum: the mean gradient vanishes there and F is larger elsewhere', () => {
    const p = createProblem(spec, 6, 11);
    const obj = p.objective(all(6));
    const g0 = meanGradNorm(p, all(6), p.x0);
    // Float32 rounding of x* limits how small the gradient can get.
    expect(meanGradNorm(p, all(6), obj.optimum)).toBeLessThan(1e-5 * g0);
    const rng = new Rng(5);
    for (let t = 0; t < 20; t++) {
      const y = Float64Array.from(obj.optimum, (v) => v + 0.01 * rng.normal());
      expect(obj.value(y)).toBeGreaterThan(obj.optimalValue);
    }
    expect(obj.value(obj.optimum) - obj.optimalValue).toBeCloseTo(0, 12);
  });

  it('moves its optimum when the member set changes (non-IID shards)', () => {
    const p = createProblem(spec, 6, 11);
    const a = p.objective(all(6)).optimum;
    const b = p.objective([0, 1, 2, 3, 5]).optimum;
    expect(distance(a, b) / norm(a)).toBeGreaterThan(1e-3);
    expect(p.objective(all(6))).toBe(p.objective(all(6))); // cached
  });

  it('gives unbiased minibatch gradients', () => {
    const exact = createProblem(spec, 2, 3);
    const noisy = createProblem({ ...spec, batchSize: 4 }, 2, 3);
    const x = Float32Array.from({ length: 8 }, (_, j) => 0.3 * j - 1);
    const ge = new Float32Array(8);
    exact.gradient(1, x, ge, new Rng(0));
    const rng = new Rng(9);
    const g = new Float32Array(8);
    const mean = new Float64Array(8);
    const draws = 4000;
    let differs = false;
    for (let t = 0; t < draws; t++) {
      noisy.gradient(1, x, g, rng);
      if (distance(g, ge) > 1e-3) differs = true;
      for (let j = 0; j < 8; j++) mean[j] += g[j] / draws;
    }
    expect(differs).toBe(true);
    expect(distance(mean, ge) / norm(ge)).toBeLessThan(0.05);
  });

  it('draws IID shards closer together than non-IID ones', () => {
    const spread = (h: number): number => {
      // Enough samples that each shard's own optimum reflects its distribution, not its sample noise.
      const p = createProblem({ ...spec, heterogeneity: h, samplesPerPeer: 400 }, 4, 21);
      const o = p.objective(all(4)).optimum;
      let s = 0;
      for (let i = 0; i < 4; i++) s += distance(p.objective([i]).optimum, o);
      return s;
    };
    expect(spread(1)).toBeGreaterThan(3 * spread(0));
  });
});

describe('createProblem', () => {
  it('rejects bad specs with the field name', () => {
    expect(() => createProblem({ kind: 'least-squares', dim: 0, samplesPerPeer: 5 }, 2, 1)).toThrow(/problem.dim/);
    expect(() => createProblem({ kind: 'logistic', dim: 2, samplesPerPeer: 5, batchSize: -1 }, 2, 1)).toThrow(/batchSize/);
  });
});
