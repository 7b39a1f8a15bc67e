/** One copy of a peer's model and when it was taken (ms, on the bench's clock). */
export interface Snapshot {
  at: number;
  params: Float32Array;
}

/**
 * Per tab and target, the first copy that scored the target, in seconds from `t0`. Each round
 * scores a tab's newest copy; only when that one reaches a target the tab had not reached are the
 * round's earlier copies scored, oldest first, to find the first that did. A tab is counted once,
 * at its first copy at or above the target.
 */
export class FirstCrossings {
  readonly perTab: Record<string, (number | null)[]>;
  /** Each tab's newest score. */
  readonly latest: number[];

  constructor(private readonly targets: readonly number[], tabs: number, private readonly t0: number) {
    this.perTab = Object.fromEntries(targets.map((t) => [key(t), Array.from({ length: tabs }, () => null)]));
    this.latest = Array.from({ length: tabs }, () => Number.NaN);
  }

  /** A round of tab i's copies (oldest first). */
  async add(i: number, snaps: readonly Snapshot[], score: (params: Float32Array) => Promise<number>): Promise<void> {
    if (snaps.length === 0) return;
    const newest = await score(snaps[snaps.length - 1].params);
    this.latest[i] = newest;
    const open = this.targets.filter((t) => this.perTab[key(t)][i] === null && newest >= t);
    if (open.length === 0) return;
    const scores = new Map<number, number>([[snaps.length - 1, newest]]);
    for (const t of open) {
      for (let j = 0; j < snaps.length; j++) {
        if (!scores.has(j)) scores.set(j, await score(snaps[j].params));
        if (scores.get(j)! >= t) {
          this.perTab[key(t)][i] = (snaps[j].at - this.t0) / 1000;
          break;
        }
      }
    }
  }

  /** Seconds until the last tab first scored `target` (null: some tab has not). */
  every(target: number): number | null {
    const xs = this.perTab[key(target)];
    return xs.some((x) => x === null) ? null : Math.max(...(xs as number[]));
  }

  done(): boolean {
    return this.targets.every((t) => this.every(t) !== null);
  }
}

const key = (target: number): string => String(target * 100);
