import { jointTimeToTarget, memberTimesToTarget, type MemberSample } from '@starling/bench';
import type { IndependentEvaluator } from '../support/evaluate';
import { recordModelCopies, takeModelCopies, type Volunteer } from '../support/swarm';

/** One copy of one tab's model, stamped with when the tab took it; scored once, then dropped. */
interface Sample {
  tab: number;
  /** Wall-clock ms since the epoch, read in the tab (the same clock as the bench's Date.now()). */
  at: number;
  model: Float32Array | null;
  /** On the full evaluator's images; null until scored. */
  accuracy: number | null;
}

export interface TabClockOptions {
  /** Each tab copies its model this often on its own timer (recordModelCopies); the copies are collected as often. */
  readEveryMs: number;
  /** How often the newest copy of every tab is scored to decide whether the run may stop. */
  checkEveryMs: number;
  /** Accuracy targets, ascending; the run stops once every tab's newest copy reaches the last. */
  targets: readonly number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The browser bench's clock. A round of "read four busy tabs, score four models" took 2.7-32.5 s, so
 * times came in steps of a round and were stamped at its end. Here every tab's model is copied
 * about every `readEveryMs` and stamped in the tab; scoring waits until the tabs are closed (except
 * the newest copies, scored on a few images to know when to stop), so it takes little CPU from
 * the tabs being timed.
 * A target's time is the first stamp at which every tab's latest copy so far scores at least the
 * target (jointTimeToTarget), as the rounds defined it. Since session 48 the tab takes its copies on
 * its own timer and this only collects them: asked for from here, a sending tab's copies came
 * 1.0-2.5 s apart (the driver's round trip), a silent tab's 0.6 s.
 */
export class TabClock {
  private readonly samples: Sample[] = [];
  private stopped = false;
  /** Copies that failed to come out of a tab (a tab without a model yet, a page busy reloading). */
  readErrors = 0;
  /** Per tab, the first failed read's message: a tab whose reads keep failing says why. */
  readonly firstReadError: (string | null)[];

  private readonly tabs: readonly Volunteer[];

  /**
   * `evaluator` scores every copy once the tabs are closed; `quick` (fewer images) decides during
   * the run whether to stop. Scoring runs in this Node process, which also drives the tabs: a full
   * score of four copies took 0.3-5 s of it while the tabs trained.
   */
  constructor(
    tabs: readonly Volunteer[],
    private readonly evaluator: IndependentEvaluator,
    private readonly quick: IndependentEvaluator,
    private readonly opts: TabClockOptions,
  ) {
    // A copy: the bench empties its own list when it closes the tabs, before the copies are scored.
    this.tabs = [...tabs];
    this.firstReadError = this.tabs.map(() => null);
  }

  /** True once every tab's newest copy reached the last target (or the run was stopped). */
  get done(): boolean {
    return this.stopped;
  }

  /** Copies every tab's model until every tab's newest copy reaches the last target, or until `deadline`. */
  async run(deadline: number): Promise<void> {
    // Each tab copies its model on its own timer (recordModelCopies); this only collects them.
    const readers = this.tabs.map(async (v, tab) => {
      const failed = (e: unknown) => {
        this.readErrors++;
        this.firstReadError[tab] ??= e instanceof Error ? e.message.split('\n')[0] : String(e);
      };
      try {
        await recordModelCopies(v, this.opts.readEveryMs);
      } catch (e) {
        return failed(e);
      }
      for (let last = false; !last;) {
        last = this.stopped || Date.now() >= deadline;
        try {
          // A copy stamped after the cap would count a target the run did not reach within it.
          for (const { model, at } of await takeModelCopies(v, last)) if (at <= deadline) this.samples.push({ tab, at, model, accuracy: null });
        } catch (e) {
          failed(e);
        }
        if (!last) await sleep(this.opts.readEveryMs);
      }
    });
    const checker = (async () => {
      const last = this.opts.targets.at(-1) ?? 1;
      while (!this.stopped && Date.now() < deadline) {
        await sleep(this.opts.checkEveryMs);
        const newest = this.newest();
        if (newest.length < this.tabs.length) continue;
        // The quick score only says when a full one is worth it; the full one decides.
        let below = false;
        for (const s of newest) if ((s.model === null ? (s.accuracy as number) : await this.quick.accuracy(s.model)) < last) below = true;
        if (below) continue;
        const full: number[] = [];
        for (const s of newest) full.push(await this.score(s));
        if (full.every((a) => a >= last)) this.stopped = true;
      }
      this.stopped = true;
    })();
    await Promise.all([...readers, checker]);
  }

  /** Scores every copy not scored yet; call once the tabs are closed, so the CPU is the evaluator's. */
  async scoreAll(): Promise<void> {
    for (const s of this.samples) await this.score(s);
  }

  /** Seconds from t0 until every tab's latest copy scored at least each target; null: never. */
  secondsTo(t0: number): Record<string, number | null> {
    const samples = this.memberSamples();
    return Object.fromEntries(this.opts.targets.map((t) => {
      const at = jointTimeToTarget(samples, this.tabs.length, t);
      return [key(t), at === null ? null : (at - t0) / 1000];
    }));
  }

  /** Per tab, seconds from t0 until its first copy scored at least each target. */
  tabSecondsTo(t0: number): Record<string, (number | null)[]> {
    const samples = this.memberSamples();
    return Object.fromEntries(this.opts.targets.map((t) => [key(t), memberTimesToTarget(samples, this.tabs.length, t).map((at) => (at === null ? null : (at - t0) / 1000))]));
  }

  /** Each tab's latest scored accuracy (NaN for a tab never read). */
  finalAccuracy(): number[] {
    const latest = this.tabs.map(() => Number.NaN);
    for (const s of this.scored()) latest[s.tab] = s.accuracy as number;
    return latest;
  }

  /** Copies per tab, and the mean gap between one tab's consecutive copies (the clock's resolution). */
  resolution(): { reads: number[]; meanGapSeconds: number | null } {
    const byTab = this.tabs.map((_, tab) => this.samples.filter((s) => s.tab === tab).map((s) => s.at).sort((a, b) => a - b));
    const gaps = byTab.flatMap((ats) => ats.slice(1).map((at, i) => at - ats[i]));
    return { reads: byTab.map((a) => a.length), meanGapSeconds: gaps.length === 0 ? null : gaps.reduce((a, b) => a + b, 0) / gaps.length / 1000 };
  }

  private memberSamples(): MemberSample[] {
    return this.scored().map((s) => ({ member: s.tab, at: s.at, value: s.accuracy as number }));
  }

  private scored(): Sample[] {
    return this.samples.filter((s) => s.accuracy !== null).sort((a, b) => a.at - b.at);
  }

  /** Each tab's newest copy (tabs without one are left out). */
  private newest(): Sample[] {
    const out: Sample[] = [];
    for (let tab = 0; tab < this.tabs.length; tab++) {
      let newest: Sample | null = null;
      for (const s of this.samples) if (s.tab === tab && (newest === null || s.at > newest.at)) newest = s;
      if (newest !== null) out.push(newest);
    }
    return out;
  }

  private async score(s: Sample): Promise<number> {
    if (s.accuracy === null && s.model !== null) {
      s.accuracy = await this.evaluator.accuracy(s.model);
      s.model = null;
    }
    return s.accuracy as number;
  }
}

/** A target's key in secondsTo: "90" for 0.9, as the comparison's JSON has it. */
const key = (t: number): string => String(t * 100);
