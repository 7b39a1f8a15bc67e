/**
 * Several local SGD steps per exchange with the algorithm (the run's `innerSteps`, H). Each
 * gradient the step loop asks for costs a round trip between the page and its worker, the
 * algorithm's per-step work and, for a slot algorithm, a share of frames; on a small model that
 * overhead is as large as the gradient itself (BENCHMARKS.md section 3). With H > 1 the worker
 * takes H plain SGD steps from x on its own minibatches and hands back the sum of their
 * gradients, so `x - lr * out` is exactly where those steps ended: the algorithm sees one step
 * with a gradient H times as long, averaged along a short local path (local SGD). R-FAST's
 * tracker sums whatever gradients it is given, so its invariant (algorithms.md 1.4) holds as
 * before; what changes is how often a peer mixes and pushes per gradient.
 */

/** Gradient of the next minibatch at x, into g; the minibatch loss (NaN when not finite). */
export type MinibatchGradient = (x: Float32Array, g: Float32Array) => Promise<number>;

/** Model-sized buffers a round reuses: the local iterate and one step's gradient. */
export interface LocalRoundScratch {
  x: Float32Array;
  g: Float32Array;
}

export function localRoundScratch(dim: number): LocalRoundScratch {
  return { x: new Float32Array(dim), g: new Float32Array(dim) };
}

/**
 * `steps` SGD steps at `lr` from x; out gets the sum of their gradients and the mean loss comes
 * back. A non-finite loss ends the round with NaN (the step loop draws fresh minibatches); x is
 * never written. One step is the plain gradient into out; only a longer round asks `scratch` for
 * its buffers, so a run at one inner step never allocates them.
 */
export async function localRound(
  gradient: MinibatchGradient, x: Float32Array, out: Float32Array, lr: number, steps: number, scratch: () => LocalRoundScratch,
): Promise<number> {
  if (steps <= 1) return gradient(x, out);
  const { x: xk, g } = scratch();
  if (xk.length !== x.length || g.length !== x.length || out.length !== x.length) {
    throw new RangeError(`local round: buffers of ${xk.length} / ${g.length} / ${out.length} values for a model of ${x.length}`);
  }
  xk.set(x);
  out.fill(0);
  let lossSum = 0;
  for (let k = 0; k < steps; k++) {
    const loss = await gradient(xk, g);
    if (!Number.isFinite(loss)) return Number.NaN;
    lossSum += loss;
    const last = k === steps - 1;
    for (let i = 0; i < g.length; i++) {
      out[i] += g[i];
      if (!last) xk[i] -= lr * g[i];
    }
  }
  return lossSum / steps;
}
