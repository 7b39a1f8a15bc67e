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
 * The weight of a new model is max(1 / steps, 1 / updates so far): the first update copies the
 * model and a young peer's average is the plain mean of its models so far, where an average that
 * started from x0 with weight 1 / steps would still hold 60% of x0 after 25 steps of a 50-step
 * window.
 */
export class ModelAverage {
  private readonly avg: Float32Array;
  private updates = 0;

  constructor(dim: number, private readonly steps: number) {
    if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`ModelAverage: steps must be a whole number >= 1, got ${steps}`);
    this.avg = new Float32Array(dim);
  }

  /** Fold in the model after a step (one fused pass, nothing allocated). */
  update(x: Float32Array): void {
    if (x.length !== this.avg.length) throw new RangeError(`ModelAverage: the model has ${x.length} parameters, the average ${this.avg.length}`);
    this.updates++;
    const w = Math.max(1 / this.steps, 1 / this.updates);
    const a = this.avg;
    for (let i = 0; i < a.length; i++) a[i] += w * (x[i] - a[i]);
  }

  /** Updates folded in so far. */
  get count(): number {
    return this.updates;
  }

  /** A copy of the average (the caller may transfer or keep it). */
  value(): Float32Array {
    return this.avg.slice();
  }
}
