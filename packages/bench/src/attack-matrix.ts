/**
 * The attack matrix (issue 13): honest peers' accuracy when 1 or 2 of 8 peers are hostile
 * (`@starling/sim` attacks: sign flip, x1e6 scaling, noise, ALIE, replay), with robust mixing on
 * ('clip') and off, against the clean run of the same seed. Same task, step time, scenario (IID
 * unless `split` says otherwise, exponential graph) and budget for every cell; every figure is
 * over the honest peers only.
 *
 * With `refereeSteps`, the simulator also plays the server's verdict (core's judgeSenders, the rule
 * apps/server applies to telemetry) every that many step times and ejects whom it convicts, as the
 * product does; each cell says whom it ejected, hostile or not.
 */
import type { RfastEncodingName } from '@starling/core';
import { ATTACKS, type AttackKind } from '@starling/sim';
import type { BenchAlgorithm } from './algorithms';
import type { BenchTask } from './bench-task';
import { BENCH_CONFIG } from './config';
import { fmt, markdownTable } from './markdown';
import { runOne, type RunOutcome } from './run-one';
import type { Scenario, Split } from './scenarios';

export interface AttackMatrixPlan {
  algorithms: readonly BenchAlgorithm[];
  robust: readonly ('clip' | 'off')[];
  attacks: readonly AttackKind[];
  /** Hostile peer counts (ids n-1, n-2, ...: the exponential graph makes every id alike). */
  hostileCounts: readonly number[];
  seeds: readonly number[];
  lr: Partial<Record<BenchAlgorithm, number>>;
  budgetSteps: number;
  evalCount: number;
  n: number;
  /**
   * Step times between the server's verdicts, 0 for none (robust mixing alone). The server judges
   * telemetry sent once a second, once a second: at 25-50 steps/s (a tab alone on wasm) a verdict
   * reads evidence 25-100 steps old.
   */
  refereeSteps: number;
  /** `scale`: the factor (the sim's default, 1e6, when absent). */
  scale?: number;
  /** Which payloads the attackers rewrite (the sim's default, both, when absent). */
  payloads?: 'model' | 'tracker' | 'both';
  /** How the shards are split (IID when absent). */
  split?: Split;
  /**
   * Late joiners: the last max(hostileCounts) peers are not in the run at the start and join at
   * this many step times (copying a neighbour's model, as the simulator's joiners do), hostile or
   * honest; absent, everyone trains from the start. The clean cell's joiners are all honest, so it
   * shows whether the verdict ejects an honest joiner.
   */
  joinStep?: number;
  /** R-FAST's frames (BENCH_CONFIG.rfastEncoding when absent). */
  encoding?: RfastEncodingName;
}

export const ATTACK_MATRIX_DEFAULTS: AttackMatrixPlan = {
  algorithms: ['rfast', 'dpsgd', 'gossip'],
  robust: ['clip', 'off'],
  attacks: ATTACKS,
  hostileCounts: [1, 2],
  seeds: [1, 2],
  // The full preset's tuned picks (presets.ts TUNED_LR).
  lr: { rfast: 0.6, dpsgd: 0.3, gossip: 0.6 },
  budgetSteps: 200,
  evalCount: 1000,
  n: 8,
  refereeSteps: 50,
};

export interface AttackCell {
  algorithm: BenchAlgorithm;
  robust: 'clip' | 'off';
  attack: AttackKind | 'none';
  hostile: number;
  seed: number;
  /** Honest peers at the budget: mean and worst accuracy; null when the run diverged first. */
  peerMean: number | null;
  peerMin: number | null;
  diverged: string | null;
  /** Ejected by the verdict: hostile peers, and honest ones (a false conviction); step times at the first ejection. */
  ejectedHostile: number;
  ejectedHonest: number;
  firstEjectionStep: number | null;
  wallSeconds: number;
}

export async function runAttackMatrix(task: BenchTask, plan: AttackMatrixPlan, stepTime: number, log: (line: string) => void): Promise<AttackCell[]> {
  const scenario: Scenario = { n: plan.n, split: plan.split ?? 'iid', straggle: 'none', loss: 0 };
  const cells: AttackCell[] = [];
  const one = async (algorithm: BenchAlgorithm, robust: 'clip' | 'off', attack: AttackKind | 'none', hostile: number, seed: number): Promise<void> => {
    const lr = plan.lr[algorithm] ?? 0.3;
    const ids = Array.from({ length: attack === 'none' ? 0 : hostile }, (_, k) => plan.n - 1 - k);
    const joiners = Array.from({ length: plan.joinStep === undefined ? 0 : Math.max(0, ...plan.hostileCounts) }, (_, k) => plan.n - 1 - k);
    const r: RunOutcome = await runOne(task, {
      scenario,
      algorithm,
      lr,
      seed,
      stepTime,
      budget: plan.budgetSteps * stepTime,
      targets: [0.9],
      evalCount: plan.evalCount,
      finalEvalCount: plan.evalCount,
      extend: false,
      sendBuffer: BENCH_CONFIG.network.sendBuffer,
      settings: { robust, ...(algorithm === 'rfast' && plan.encoding !== undefined ? { encoding: plan.encoding } : {}) },
      hostile: attack === 'none' ? undefined : { kind: attack, ids, scale: plan.scale, payloads: plan.payloads },
      refereeInterval: plan.refereeSteps > 0 ? plan.refereeSteps * stepTime : undefined,
      membership:
        joiners.length === 0
          ? undefined
          : [
              { time: 0, leave: joiners, reset: true },
              { time: (plan.joinStep ?? 0) * stepTime, join: joiners },
            ],
    });
    const hostileEjected = r.ejections.filter((e) => ids.includes(e.peer)).length;
    const cell: AttackCell = {
      algorithm,
      robust,
      attack,
      hostile: ids.length,
      seed,
      peerMean: r.atBudget?.peerMean ?? null,
      peerMin: r.atBudget?.peerMin ?? null,
      diverged: r.diverged,
      ejectedHostile: hostileEjected,
      ejectedHonest: r.ejections.length - hostileEjected,
      firstEjectionStep: r.ejections.length > 0 ? Math.round(r.ejections[0].time / stepTime) : null,
      wallSeconds: r.wallSeconds,
    };
    cells.push(cell);
    const ejected = r.ejections.length > 0 ? `, ejected ${r.ejections.map((e) => e.peer).join(',')} from step ${cell.firstEjectionStep}` : '';
    log(`${algorithm} robust=${robust} ${attack} x${ids.length} seed ${seed}: honest mean ${fmt(cell.peerMean, 3)}, min ${fmt(cell.peerMin, 3)}${ejected}${r.diverged ? ` (diverged: ${r.diverged.slice(0, 80)})` : ''} [${r.wallSeconds.toFixed(0)} s]`);
  };
  for (const algorithm of plan.algorithms) {
    for (const robust of plan.robust) {
      for (const seed of plan.seeds) {
        await one(algorithm, robust, 'none', 0, seed);
        for (const attack of plan.attacks) for (const h of plan.hostileCounts) await one(algorithm, robust, attack, h, seed);
      }
    }
  }
  return cells;
}

/** One row per (algorithm, robust, attack, hostile count): honest mean accuracy over seeds (min-max), worst peer, and the drop from the clean run. */
export function attackMatrixTable(cells: readonly AttackCell[], n: number = ATTACK_MATRIX_DEFAULTS.n): string {
  const groups = new Map<string, AttackCell[]>();
  for (const c of cells) {
    const key = `${c.algorithm}|${c.robust}|${c.attack}|${c.hostile}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [c]);
    else g.push(c);
  }
  const meanOf = (xs: readonly (number | null)[]): number | null => (xs.some((x) => x === null) ? null : xs.reduce<number>((s, x) => s + (x as number), 0) / xs.length);
  const rows: string[][] = [];
  for (const g of groups.values()) {
    const c0 = g[0];
    const clean = groups.get(`${c0.algorithm}|${c0.robust}|none|0`) ?? [];
    const m = meanOf(g.map((c) => c.peerMean));
    const cm = meanOf(clean.map((c) => c.peerMean));
    const lo = Math.min(...g.map((c) => c.peerMean ?? Number.NaN));
    const hi = Math.max(...g.map((c) => c.peerMean ?? Number.NaN));
    const worst = Math.min(...g.map((c) => c.peerMin ?? Number.NaN));
    const drop = m !== null && cm !== null ? (cm - m) * 100 : null;
    const hostileOut = g.reduce((n, c) => n + c.ejectedHostile, 0);
    const honestOut = g.reduce((n, c) => n + c.ejectedHonest, 0);
    const firsts = g.map((c) => c.firstEjectionStep).filter((x): x is number => x !== null);
    rows.push([
      c0.algorithm,
      c0.robust,
      c0.attack,
      String(c0.hostile),
      m === null ? 'diverged' : `${fmt(m, 3)} (${fmt(lo, 3)}-${fmt(hi, 3)})`,
      Number.isNaN(worst) ? 'diverged' : fmt(worst, 3),
      c0.attack === 'none' ? '' : drop === null ? 'n/a' : `${drop.toFixed(1)}`,
      `${hostileOut} / ${honestOut}${firsts.length > 0 ? ` (step ${Math.min(...firsts)}-${Math.max(...firsts)})` : ''}`,
    ]);
  }
  return markdownTable(
    ['algorithm', 'robust', 'attack', `hostile of ${n}`, 'honest mean accuracy (seeds min-max)', 'worst honest peer', 'drop vs clean (points)', 'ejected hostile / honest (first at)'],
    rows,
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
  );
}
