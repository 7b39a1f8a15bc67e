/**
 * Heterogeneous least squares: f_i(x) = 1/(2m) ||A_i x - b_i||^2 with b_i = A_i w_i + noise.
 * F over members M is a quadratic with Q = mean_i A_i^T A_i / m and c = mean_i A_i^T b_i / m; its
 * optimum solves Q x = c exactly (normal equations, Cholesky in float64).
 */
import type { PeerId, Rng } from '@starling/core';
import { choleskySolve } from './linalg';
import type { MemberObjective, Problem, ProblemSpec } from './problems';
import { commonModel, makeShard, membersKey } from './shards';

interface LsShard {
  a: Float64Array;
  b: Float64Array;
  /** A^T A / m, only when the exact gradient is cheaper through it (dim <= 2 * samples). */
  q: Float64Array | null;
  /** A^T b / m. */
  c: Float64Array;
}

export class LeastSquares implements Problem {
  readonly dim: number;
  readonly x0: Float32Array;
  private readonly shards: LsShard[] = [];
  private readonly m: number;
  private readonly batch: number;
  private readonly cache = new Map<string, MemberObjective>();
  /** Float64 copy of the argument: gradients are accumulated in float64, then rounded once. */
  private readonly xd: Float64Array;
  private readonly gd: Float64Array;

  constructor(
    readonly spec: Readonly<ProblemSpec>,
    readonly peers: number,
    seed: number,
  ) {
    const d = (this.dim = spec.dim);
    const m = (this.m = spec.samplesPerPeer);
    this.batch = spec.batchSize ?? 0;
    this.x0 = new Float32Array(d);
    this.xd = new Float64Array(d);
    this.gd = new Float64Array(d);
    const h = spec.heterogeneity ?? 0;
    const noise = spec.noise ?? 0.1;
    const common = commonModel(d, seed);
    const useQ = d <= 2 * m;
    for (let i = 0; i < peers; i++) {
      const { a, w, rng } = makeShard(i, d, m, h, common, seed);
      const b = new Float64Array(m);
      for (let r = 0; r < m; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += a[r * d + j] * w[j];
        b[r] = s + noise * rng.normal();
      }
      const q = useQ ? gram(a, m, d) : null;
      const c = new Float64Array(d);
      for (let r = 0; r < m; r++) for (let j = 0; j < d; j++) c[j] += (a[r * d + j] * b[r]) / m;
      this.shards.push({ a, b, q, c });
    }
  }

  gradient(peer: PeerId, x: Float32Array, out: Float32Array, rng: Rng): void {
    const s = this.shards[peer];
    const d = this.dim;
    const xd = this.xd;
    const g = this.gd;
    for (let j = 0; j < d; j++) xd[j] = x[j];
    g.fill(0);
    if (this.batch > 0) {
      for (let k = 0; k < this.batch; k++) {
        const r = rng.int(this.m);
        const o = r * d;
        let res = -s.b[r];
        for (let j = 0; j < d; j++) res += s.a[o + j] * xd[j];
        for (let j = 0; j < d; j++) g[j] += s.a[o + j] * res;
      }
      for (let j = 0; j < d; j++) out[j] = g[j] / this.batch;
      return;
    }
    if (s.q !== null) {
      const q = s.q;
      for (let i = 0; i < d; i++) {
        let v = -s.c[i];
        const o = i * d;
        for (let j = 0; j < d; j++) v += q[o + j] * xd[j];
        out[i] = v;
      }
      return;
    }
    for (let r = 0; r < this.m; r++) {
      const o = r * d;
      let res = -s.b[r];
      for (let j = 0; j < d; j++) res += s.a[o + j] * xd[j];
      for (let j = 0; j < d; j++) g[j] += s.a[o + j] * res;
    }
    for (let j = 0; j < d; j++) out[j] = g[j] / this.m;
  }

  objective(members: readonly PeerId[]): MemberObjective {
    const key = membersKey(members);
    let o = this.cache.get(key);
    if (o === undefined) {
      o = this.solve(members);
      this.cache.set(key, o);
    }
    return o;
  }

  private solve(members: readonly PeerId[]): MemberObjective {
    const d = this.dim;
    const m = this.m;
    const q = new Float64Array(d * d);
    const c = new Float64Array(d);
    let k = 0;
    for (const id of members) {
      const s = this.shards[id];
      const qi = s.q ?? gram(s.a, m, d);
      for (let t = 0; t < d * d; t++) q[t] += qi[t];
      for (let j = 0; j < d; j++) c[j] += s.c[j];
      for (let r = 0; r < m; r++) k += (s.b[r] * s.b[r]) / (2 * m);
    }
    const inv = 1 / members.length;
    for (let t = 0; t < d * d; t++) q[t] *= inv;
    for (let j = 0; j < d; j++) c[j] *= inv;
    k *= inv;
    const xs = choleskySolve(q, c, d);
    let cx = 0;
    for (let j = 0; j < d; j++) cx += c[j] * xs[j];
    // F(x) = F* + (x - x*)^T Q (x - x*) / 2 exactly; this form has no cancellation near the optimum.
    const fStar = k - 0.5 * cx;
    const diff = new Float64Array(d);
    return {
      optimum: xs,
      optimalValue: fStar,
      value(x: ArrayLike<number>): number {
        for (let j = 0; j < d; j++) diff[j] = x[j] - xs[j];
        let quad = 0;
        for (let i = 0; i < d; i++) {
          let row = 0;
          const o = i * d;
          for (let j = 0; j < d; j++) row += q[o + j] * diff[j];
          quad += diff[i] * row;
        }
        return fStar + 0.5 * quad;
      },
    };
  }
}

/** A^T A / m for a row-major (m x d) matrix. */
function gram(a: Float64Array, m: number, d: number): Float64Array {
  const q = new Float64Array(d * d);
  for (let r = 0; r < m; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) {
      const ai = a[o + i] / m;
      for (let j = 0; j < d; j++) q[i * d + j] += ai * a[o + j];
    }
  }
  return q;
}
