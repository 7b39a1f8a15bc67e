/**
 * Every tunable of the simulator in one place. Callers override pieces through `SimConfig`;
 * anything they leave out comes from here.
 */
import type { LinkModel } from './network';
import type { ComputeModel } from './compute';

export const SIM_DEFAULTS = {
  /**
   * Bytes added to every message for its wire header (packages/wire's 48-byte frame header: kind,
   * from, epoch, seq, block, offset, aux, base, scale); counted in bandwidth and byte totals.
   */
  headerBytes: 48,
  /**
   * Algorithms with slots (R-FAST): an unshaped link takes a new frame while it has at most this
   * many bytes left to serialise, as the peer runtime's WebRTC link does (its slotLowWaterBytes);
   * a shaped uplink takes one when the link's queue is empty.
   */
  slotLowWaterBytes: 64 * 1024,
  /** Shaped uplinks: bytes the token bucket may save up while idle (the peer runtime's uplinkBurstBytes). */
  uplinkBurstBytes: 16 * 1024,
  /**
   * Reliable envelopes under loss: each lost attempt costs one retransmission timeout,
   * RTO = rtoLatencyFactor * latency + jitter (one round trip plus the worst jitter).
   */
  rtoLatencyFactor: 2,
  /** A reliable message is retried at most this many times; the link model then gives up and says so. */
  maxRetransmits: 1000,
  /** Default link: 5 ms one way, up to 2 ms jitter, 100 MB/s, no loss, no duplication, unbounded send queue. */
  link: {
    latency: 0.005,
    jitter: 0.002,
    bandwidth: 100e6,
    loss: 0,
    duplicate: 0,
    sendBuffer: Infinity,
  } satisfies LinkModel,
  /** Default compute: 50 ms per gradient, +-10% jitter, no stragglers, no pauses. */
  compute: {
    stepTime: 0.05,
    jitter: 0.1,
    slow: [],
    pauseProbability: 0,
    pauseDuration: 1,
  } satisfies ComputeModel,
  /** Record every this many virtual seconds unless the config says otherwise. */
  recordInterval: 0.5,
  /**
   * At most this many records are kept: when full, every other one is dropped and the interval
   * doubles, so memory stays bounded whatever the run length.
   */
  maxRecords: 256,
  /** Safety stop for runs bounded by steps only: virtual seconds. */
  maxVirtualTime: 1e7,
} as const;

export type SimDefaults = typeof SIM_DEFAULTS;
