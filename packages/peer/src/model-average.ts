/**
 * An exponential average of a peer's model over its last steps: what the peer evaluates, uploads
 * as snapshots (so what the server keeps as the run's checkpoint and the owner downloads), never
 * what it trains or hands to a joiner. A decentralized peer's own model carries the noise of its
 * last minibatches and of the copies it mixed; averaging it over about `steps` steps removes
 * most of that. Measured in the simulator (BENCHMARKS.md section 1, "Scored as the tabs are", IID
 * MNIST, 8 peers, a 50-step window): own models 90.9% mean / 89.3% worst against 92.3 / 92.0
 * averaged for R-FAST, and the same gain for solo, gossip and AD-PSGD; on non-IID shards about
 * even (32.7 / 28.4 against 35.0 / 26.8).
 *
 * The first `burnIn` models (by default a window's worth) are not folded in: the average starts
 * from the model after them, so until then (count 0) the peer reports its model itself. A young
 * model moves fastest, and an average over a run's first steps is mostly x0: e2e/tasks.spec.ts's
 * conv net (24 steps) scored test loss 1.54-1.63 on 50-step averages that started at once,
 * against 1.08-1.15 on its own models (BENCHMARKS.md section 3, session 45). After that the
 * weight of a new model is max(1 / steps, 1 / updates so far): the first update copies the model
 * (no jump in what the peer reports) and a young average is the plain mean of its models so far,
 * where one that started with weight 1 / steps would still hold 60% of its first model after 25
 * steps of a 50-step window.
 */
export class ModelAverage {
  private readonly avg: Float32Array;
  private updates = 0;
  private skipped = 0;

  constructor(dim: number, private readonly steps: number, private readonly burnIn = steps) {
    if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`ModelAverage: steps must be a whole number >= 1, got ${steps}`);
    if (!(Number.isInteger(burnIn) && burnIn >= 0)) throw new RangeError(`ModelAverage: burnIn must be a whole number >= 0, got ${burnIn}`);
    this.avg = new Float32Array(dim);
  }

  /** Fold in the model after a step (one fused pass, nothing allocated). */
  update(x: Float32Array): void {
    if (x.length !== this.avg.length) throw new RangeError(`ModelAverage: the model has ${x.length} parameters, the average ${this.avg.length}`);
    if (this.skipped < this.burnIn) {
      this.skipped++;
      return;
    }
    this.updates++;
    const w = Math.max(1 / this.steps, 1 / this.updates);
    const a = this.avg;
    for (let i = 0; i < a.length; i++) a[i] += w * (x[i] - a[i]);
  }

  /** Models folded in so far (0 during the burn-in: report the model itself). */
  get count(): number {
    return this.updates;
  }

  /** A copy of the average (the caller may transfer or keep it). */
  value(): Float32Array {
    return this.avg.slice();
  }
}
