/**
 * L2-regularised logistic regression: f_i(x) = (1/m) sum_r log(1 + exp(-y_r a_r.x)) + l2/2 ||x||^2,
 * labels y_r = +-1 drawn with P(y = 1) = sigmoid(a_r.w_i). The regulariser makes F strongly convex, so
 * a damped Newton method in float64 finds its unique optimum to round-off.
 */
import type { PeerId, Rng } from '@starling/core';
import { choleskySolve } from './linalg';
import type { MemberObjective, Problem, ProblemSpec } from './problems';
import { commonModel, makeShard, membersKey } from './shards';

const DEFAULT_L2 = 1e-2;
/** Newton stops when the gradient norm falls below this, or after NEWTON_MAX_ITERS. */
const NEWTON_TOL = 1e-13;
const NEWTON_MAX_ITERS = 100;

interface LogShard {
  a: Float64Array;
  y: Float64Array;
}

function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

export class Logistic implements Problem {
  readonly dim: number;
  readonly x0: Float32Array;
  private readonly shards: LogShard[] = [];
  private readonly m: number;
  private readonly batch: number;
  private readonly l2: number;
  private readonly cache = new Map<string, MemberObjective>();
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
    this.l2 = spec.l2 ?? DEFAULT_L2;
    this.x0 = new Float32Array(d);
    this.xd = new Float64Array(d);
    this.gd = new Float64Array(d);
    const h = spec.heterogeneity ?? 0;
    const common = commonModel(d, seed);
    for (let i = 0; i < peers; i++) {
      const { a, w, rng } = makeShard(i, d, m, h, common, seed);
      const y = new Float64Array(m);
      for (let r = 0; r < m; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += a[r * d + j] * w[j];
        y[r] = rng.next() < sigmoid(s) ? 1 : -1;
      }
      this.shards.push({ a, y });
    }
  }

  gradient(peer: PeerId, x: Float32Array, out: Float32Array, rng: Rng): void {
    const s = this.shards[peer];
    const d = this.dim;
    const xd = this.xd;
    const g = this.gd;
    for (let j = 0; j < d; j++) xd[j] = x[j];
    g.fill(0);
    const count = this.batch > 0 ? this.batch : this.m;
    for (let k = 0; k < count; k++) {
      const r = this.batch > 0 ? rng.int(this.m) : k;
      const o = r * d;
      let t = 0;
      for (let j = 0; j < d; j++) t += s.a[o + j] * xd[j];
      const coef = -s.y[r] * sigmoid(-s.y[r] * t);
      for (let j = 0; j < d; j++) g[j] += coef * s.a[o + j];
    }
    for (let j = 0; j < d; j++) out[j] = g[j] / count + this.l2 * xd[j];
  }

  objective(members: readonly PeerId[]): MemberObjective {
    const key = membersKey(members);
    let o = this.cache.get(key);
    if (o === undefined) {
      const sel = members.map((id) => this.shards[id]);
      const value = (x: ArrayLike<number>): number => this.value(sel, x);
      const optimum = this.newton(sel);
      o = { optimum, optimalValue: value(optimum), value };
      this.cache.set(key, o);
    }
    return o;
  }

  private value(sel: readonly LogShard[], x: ArrayLike<number>): number {
    const d = this.dim;
    let loss = 0;
    for (const s of sel) {
      for (let r = 0; r < this.m; r++) {
        let t = 0;
        for (let j = 0; j < d; j++) t += s.a[r * d + j] * x[j];
        loss += softplus(-s.y[r] * t);
      }
    }
    let sq = 0;
    for (let j = 0; j < d; j++) sq += x[j] * x[j];
    return loss / (sel.length * this.m) + 0.5 * this.l2 * sq;
  }

  /** Damped Newton from 0 with backtracking on F; float64 throughout. */
  private newton(sel: readonly LogShard[]): Float64Array {
    const d = this.dim;
    const total = sel.length * this.m;
    const x = new Float64Array(d);
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    const trial = new Float64Array(d);
    let f = this.value(sel, x);
    for (let it = 0; it < NEWTON_MAX_ITERS; it++) {
      grad.fill(0);
      hess.fill(0);
      for (const s of sel) {
        for (let r = 0; r < this.m; r++) {
          const o = r * d;
          let t = 0;
          for (let j = 0; j < d; j++) t += s.a[o + j] * x[j];
          const p = sigmoid(-s.y[r] * t);
          const coef = -s.y[r] * p;
          const w = p * (1 - p);
          for (let i = 0; i < d; i++) {
            grad[i] += coef * s.a[o + i];
            const wa = w * s.a[o + i];
            for (let j = 0; j < d; j++) hess[i * d + j] += wa * s.a[o + j];
          }
        }
      }
      let gn = 0;
      for (let i = 0; i < d; i++) {
        grad[i] = grad[i] / total + this.l2 * x[i];
        gn += grad[i] * grad[i];
        for (let j = 0; j < d; j++) hess[i * d + j] /= total;
        hess[i * d + i] += this.l2;
      }
      if (Math.sqrt(gn) < NEWTON_TOL) break;
      const step = choleskySolve(hess, grad, d);
      let scale = 1;
      for (let ls = 0; ls < 50; ls++) {
        for (let j = 0; j < d; j++) trial[j] = x[j] - scale * step[j];
        const ft = this.value(sel, trial);
        if (ft <= f) {
          f = ft;
          break;
        }
        scale *= 0.5;
      }
      // A step of 0 scale means round-off already dominates: x is the optimum to float64 precision.
      if (scale < 1e-12) break;
      x.set(trial);
    }
    return x;
  }
}
