import type { PeerId } from '@starling/core';

/**
 * Staleness as this peer sees it: for each neighbour, how many of our own steps have passed since
 * its latest data frame arrived, averaged over the neighbours we expect data from. For R-FAST it
 * is the delay, in steps, with which neighbours' models and tracker mass reach us; when it grows,
 * more tracker mass is in flight and each step descends along less of it.
 */
export class StalenessMeter {
  private readonly lastFrameAtStep = new Map<PeerId, number>();

  /** A data frame from `from` arrived while we were at `step`. */
  heard(from: PeerId, step: number): void {
    this.lastFrameAtStep.set(from, step);
  }

  /** Mean age in steps over `sources`; null when there are none. Unheard sources count from 0. */
  mean(sources: Iterable<PeerId>, step: number): number | null {
    let sum = 0;
    let n = 0;
    for (const id of sources) {
      sum += step - (this.lastFrameAtStep.get(id) ?? 0);
      n++;
    }
    return n > 0 ? sum / n : null;
  }

  /** Forget neighbours of an old membership (a peer id is never reused in a run). */
  retain(ids: ReadonlySet<PeerId>): void {
    for (const id of this.lastFrameAtStep.keys()) if (!ids.has(id)) this.lastFrameAtStep.delete(id);
  }
}
