import { PROTOCOL_LIMITS, type TelemetryPayload } from '@starling/protocol';
import type { PeerStatus } from './status';

/**
 * Turns the running totals of a peer into the once-a-second telemetry report: rates and time
 * splits are per interval, counters are totals (the server keeps the history).
 */
export class TelemetryMeter {
  private lastAt: number;
  private lastSteps = 0;
  private lastComputeMs = 0;
  private lastCommMs = 0;
  /** Steps per second over the last interval, smoothed so one slow step does not flicker it. */
  stepsPerSec = 0;

  constructor(private readonly now: () => number) {
    this.lastAt = now();
  }

  report(s: PeerStatus, maxNeighbours: number): TelemetryPayload {
    const t = this.now();
    const dt = Math.max(1, t - this.lastAt);
    const rate = ((s.steps - this.lastSteps) * 1000) / dt;
    this.stepsPerSec = this.lastSteps === 0 ? rate : 0.5 * this.stepsPerSec + 0.5 * rate;
    const payload: TelemetryPayload = {
      steps: s.steps,
      samples: s.samples,
      loss: s.loss !== null && Number.isFinite(s.loss) ? s.loss : null,
      accuracy: s.accuracy,
      stepsPerSec: this.stepsPerSec,
      backend: s.backend ?? 'none',
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      framesSent: s.framesSent,
      framesReceived: s.framesReceived,
      framesLost: s.framesLost,
      framesRejected: s.framesRejected,
      computeMs: Math.max(0, s.computeMs - this.lastComputeMs),
      commMs: Math.max(0, s.commMs - this.lastCommMs),
      epoch: s.epoch,
      neighbours: Math.min(s.neighboursOpen, maxNeighbours),
      staleness: s.staleness,
      massInTransit: s.massInTransit,
      computeShare: s.computeShare,
      sendShare: s.sendShare,
    };
    if (s.error?.code === 'diverged') payload.diverged = true;
    if (s.links.length > 0) payload.links = s.links.slice(0, PROTOCOL_LIMITS.maxLinksReported);
    if (s.evidence.length > 0) payload.evidence = s.evidence.slice(0, PROTOCOL_LIMITS.maxLinksReported);
    this.lastAt = t;
    this.lastSteps = s.steps;
    this.lastComputeMs = s.computeMs;
    this.lastCommMs = s.commMs;
    return payload;
  }
}
