import type { PeerId } from '@starling/core';
import type { TelemetryPayload } from '@starling/protocol';
import { checkTelemetry, type Plausibility, type PreviousReport, type TelemetryBounds } from './telemetry-guard';

/**
 * The run's training-sample total, from the peers' own running counts, counted so that nothing is
 * counted twice: a peer's samples count from its first accepted report on (the growth between its
 * reports). A peer that rejoins (after a server restart, or a time-out) keeps its running count
 * and gets a new id; its first report is only the baseline, because what it counts up to there was
 * counted under its old id (or is in the stored total of a resumed run). The cost: samples a new
 * peer makes before its first report (at most one report interval; usually none, since it
 * downloads its shard first) are not counted.
 */

interface Entry {
  /** Earliest time the peer's counters may have started. */
  countingSince: number;
  /** Set for a peer moved in from the previous run until its counters reset. */
  movedAt?: number;
  /** Its last accepted report (for a moved peer, at first, its last report in the previous run). */
  prev?: PreviousReport;
}

export interface MovedPeer {
  countingSince: number;
  prev?: PreviousReport;
}

export class SampleLedger {
  private readonly live = new Map<PeerId, Entry>();
  /** Samples counted for peers of this process, live or gone. */
  private counted = 0;

  constructor(
    private readonly bounds: TelemetryBounds,
    private readonly samplesPerStep: number,
    /** Samples of a resumed run before this process. */
    private readonly before: number,
  ) {}

  /** A peer joined by `hello` (`countingSince`: the run's start) or was moved in from the previous run. */
  admit(id: PeerId, countingSince: number, moved?: { at: number; from: MovedPeer }): void {
    this.live.set(id, moved === undefined ? { countingSince } : { countingSince: moved.from.countingSince, movedAt: moved.at, prev: moved.from.prev });
  }

  /** What the next run needs to admit this peer as moved (undefined for an unknown peer). */
  movedOut(id: PeerId): MovedPeer | undefined {
    const e = this.live.get(id);
    return e === undefined ? undefined : { countingSince: e.countingSince, prev: e.prev };
  }

  /** Checks a report; counts its samples when it is plausible. */
  record(id: PeerId, t: TelemetryPayload, now: number): Plausibility {
    const e = this.live.get(id);
    if (e === undefined) return { ok: false, reason: 'not a live peer of this run' };
    const v = checkTelemetry(t, e.prev, { now, samplesPerStep: this.samplesPerStep, countingSince: e.countingSince, movedAt: e.movedAt }, this.bounds);
    if (!v.ok) return v;
    if (v.reset) {
      // The moved peer restarted its count for this run: all of it is this run's work.
      this.counted += t.samples;
      e.movedAt = undefined;
    } else if (e.prev !== undefined) {
      this.counted += t.samples - e.prev.report.samples;
    }
    e.prev = { report: t, at: now };
    return v;
  }

  /** The peer left: its samples stay counted, its state goes. */
  forget(id: PeerId): void {
    this.live.delete(id);
  }

  total(): number {
    return this.before + this.counted;
  }
}
