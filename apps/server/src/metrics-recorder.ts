import type { MetricPoint } from '@starling/protocol';
import type { ServerTuning } from './config';
import type { RunLifecycle } from './lifecycle';
import type { Run } from './run';
import type { PeerLoss, Store } from './store';

/**
 * Turns the live peers' telemetry into the stored time series: every `metricIntervalMs` one swarm
 * point for the current run and one loss per peer that reported since the previous tick; and
 * every `downsampleEveryMs` a downsampling pass. An idle run (no live peers before or now) writes
 * nothing, so a server left running without peers does not grow its database.
 */

export interface RecorderOptions {
  runs: RunLifecycle;
  store: Store;
  tuning: ServerTuning;
  clock: () => number;
  log: (line: string) => void;
}

/** The swarm point of a run at `now`, and the losses reported after `since`. */
export function swarmPoint(run: Run, now: number, since: number): { point: MetricPoint; losses: PeerLoss[] } {
  const live = run.peers.live();
  const losses: PeerLoss[] = [];
  let sum = 0;
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  let rate = 0;
  for (const p of live) {
    const t = p.latest;
    if (t === undefined) continue;
    rate += t.stepsPerSec;
    if (t.loss === null) continue;
    sum += t.loss;
    n++;
    if (t.loss < min) min = t.loss;
    if (t.loss > max) max = t.loss;
    if (t.at > since) losses.push({ peerId: p.id, loss: t.loss });
  }
  return {
    point: {
      t: now,
      samples: run.totalSamples(),
      meanLoss: n > 0 ? sum / n : null,
      minLoss: n > 0 ? min : null,
      maxLoss: n > 0 ? max : null,
      stepsPerSec: rate,
      peers: live.length,
    },
    losses,
  };
}

export class MetricsRecorder {
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private lastTick = -Infinity;
  private lastRun: string | undefined;
  private lastPeers = 0;

  constructor(private readonly o: RecorderOptions) {}

  start(): void {
    this.timers.push(setInterval(() => this.guarded('metrics', () => this.tick()), this.o.tuning.metricIntervalMs));
    this.timers.push(setInterval(() => this.guarded('downsampling', () => this.downsample()), this.o.tuning.downsampleEveryMs));
    for (const t of this.timers) t.unref();
  }

  /** Records one point of the current run (unless it is idle); returns it, or null when idle. */
  tick(now: number = this.o.clock()): MetricPoint | null {
    const run = this.o.runs.current;
    if (run.runId !== this.lastRun) {
      this.lastRun = run.runId;
      this.lastPeers = 0;
    }
    const { point, losses } = swarmPoint(run, now, this.lastTick);
    this.lastTick = now;
    // The point where the count drops to zero is kept, so charts show the swarm emptying.
    if (point.peers === 0 && this.lastPeers === 0) return null;
    this.lastPeers = point.peers;
    this.o.store.recordTick(run.runId, point, losses);
    run.counters.metricPoints++;
    return point;
  }

  downsample(now: number = this.o.clock()): void {
    const r = this.o.store.metrics.downsample(now, this.o.tuning.downsampleTiers);
    this.o.runs.current.counters.pointsDownsampled += r.metricsRemoved + r.peerLossesRemoved;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.o.runs.current.counters.storeErrors++;
      this.o.log(`${what} failed: ${(e as Error).message}`);
    }
  }
}
