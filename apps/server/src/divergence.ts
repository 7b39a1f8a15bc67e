import type { PeerTable } from './peer-table';

/**
 * Flags live peers whose model looks diverged, so the owner sees it on the dashboard instead of
 * finding a garbage model later: a peer that reported a non-finite model (the peer table flags it
 * on that report), or one whose training loss is far above the run's median. Local losses differ
 * on non-IID shards, hence a factor *and* a margin; early in a run every loss is high, and the
 * median moves with them.
 */

export interface DivergenceTuning {
  /** Flag a loss above lossFactor x the median of the live peers' losses ... */
  lossFactor: number;
  /** ... and above median + lossMargin (both must hold). */
  lossMargin: number;
  /** Judge only with at least this many live peers reporting a loss (a median of two says little). */
  minPeers: number;
  /** Ignore peers that have taken fewer steps than this (a joiner's first losses are noisy). */
  minSteps: number;
}

/** Re-evaluates the loss rule for every live peer; call it about once a second. */
export function checkDivergence(table: PeerTable, tuning: DivergenceTuning, now: number): void {
  const judged = table.live().filter((p) => p.latest !== undefined && p.latest.loss !== null && Number.isFinite(p.latest.loss) && p.latest.steps >= tuning.minSteps);
  const losses = judged.map((p) => p.latest!.loss!).sort((a, b) => a - b);
  const enough = losses.length >= tuning.minPeers;
  const mid = losses.length >> 1;
  const median = losses.length % 2 === 1 ? losses[mid] : (losses[mid - 1] + losses[mid]) / 2;
  const limit = Math.max(tuning.lossFactor * median, median + tuning.lossMargin);
  for (const p of judged) {
    const loss = p.latest!.loss!;
    // A peer that said its model went non-finite keeps that flag: no later loss can clear it.
    if (p.latest!.diverged === true) continue;
    if (enough && loss > limit) {
      table.flag(p.id, 'diverged', `local loss ${loss.toPrecision(3)} is far above the run's median ${median.toPrecision(3)} (limit ${limit.toPrecision(3)})`, now);
    } else {
      table.unflag(p.id, 'diverged');
    }
  }
}
