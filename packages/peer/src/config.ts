/**
 * Tunables of the peer runtime, in one place. Values the run owner sets for every peer (learning
 * rate, block size, heartbeat and timeouts, injected loss, ICE servers, the unreliable channel's
 * high-water mark) come from the run config of @starling/protocol; these are the runtime's own
 * mechanics.
 */
import type { SendBudgetTuning } from './send-budget';

export interface PeerRuntimeTuning {
  /**
   * Above this many buffered bytes, reliable frames wait in our own queue instead of the
   * channel's (Chromium's send queue throws OperationError at about 16 MiB).
   */
  reliableHighWaterBytes: number;
  /** A link whose own reliable queue grows past this is declared failed rather than eat memory. */
  reliableQueueMaxBytes: number;
  /** A link that has not opened within this time is torn down and retried on the next epoch. */
  connectTimeoutMs: number;
  /** How long a joiner waits for a neighbour's model before starting from x0 (or the checkpoint). */
  handoffTimeoutMs: number;
  /** Wait before knocking again after the server closed our socket (it timed us out). */
  reconnectDelayMs: number;
  /** How long to wait for the server's welcome after connecting. */
  welcomeTimeoutMs: number;
  /** Longest the step loop sleeps when the algorithm is not ready and nothing arrives. */
  idleWaitMs: number;
  /**
   * The step loop tells the algorithm it stalled (Algorithm.stalled) after waiting this long on
   * ready() in one go: an AD-PSGD exchange then ends without the silent peer's replies. An honest
   * exchange takes two one-way trips plus a model's upload (0.2 s on a 2.5 MB/s uplink for the MNIST
   * MLP); under load tabs have stalled for a second or two, so the limit is well above that.
   */
  stallMs: number;
  /**
   * How often the runtime looks whether its evidence against a sender has started to count in the
   * server's verdict, and then sends its telemetry at once (EvidenceAlert). A tab steps 25-85 times
   * a second, so 200 ms is 5-17 steps; the telemetry interval (1 s by default) would be 25-85.
   */
  evidenceCheckMs: number;
  /** At most one such early report per this many ms (the server allows 5 events a second per connection). */
  evidenceAlertGapMs: number;
  /**
   * Pacing: before a step, wait (at most maxPaceMs) while an unreliable channel buffers more than
   * paceFraction of the run's maxBufferedBytes. A peer that steps faster than its uplink delivers
   * only feeds backpressure skips, and its neighbours mix staler and staler copies of its model.
   */
  paceFraction: number;
  maxPaceMs: number;
  paceCheckMs: number;
  /**
   * An unshaped link takes a new R-FAST frame while its channel buffers at most this many bytes,
   * and says so (bufferedamountlow) when it drains to it: a few frames, so the channel never idles
   * between events, and what waits in it is at most ~1.6 ms old at 40 MB/s. A shaped link takes one
   * when its share of the uplink queue is empty.
   */
  slotLowWaterBytes: number;
  /** Bytes a shaped uplink may send at once after being idle (the token bucket's burst). */
  uplinkBurstBytes: number;
  /** Fresh minibatches tried at one point before a non-finite gradient stops the peer. */
  maxGradientRetries: number;
  /** Reliable frames held for an algorithm that does not exist yet (still downloading), in bytes. */
  maxHeldBytes: number;
  /** Largest control (JSON) message accepted on the reliable channel, in characters. */
  maxControlChars: number;
  /**
   * A closed link says goodbye and keeps its connection this long before tearing it down, so
   * the remote has stopped sending by then (in Node's WebRTC a send racing the remote's close
   * crashes the process; see WebRtcTransport.close). Longer than a peer's longest step.
   */
  closeGraceMs: number;
  /**
   * The adaptive send budget of slot algorithms (R-FAST; send-budget.ts), on by default at a 0.9
   * compute share (the page's `?computeShare=0` turns it off, `?computeShare=0.8` sets another
   * target). It starts from the run's share (`defaultSendShare` unless the run sets one), falls
   * fast (0.7 per window) and comes back slowly (1.05), so it does not swing between regimes;
   * `minShare` 1/32 still sends every block to every neighbour about once per 32 of our steps.
   * 4 tabs of the MNIST MLP on 2 cores, one 4x slower (BENCHMARKS.md section 3, session 44):
   * seconds until every tab scored 90%, median [range] of 6 runs at 0.9, loopback 5.7 [5.2-7.7]
   * and home links 6.5 [5.8-8.7], against 8.0 [5.7-8.6] and 8.1 [7.7-9.2] (3 runs) at a fixed
   * eighth; at 30% injected loss 5.9 and 5.7 (3 runs). It was off for one session because a CI run
   * failed e2e/tasks.spec.ts's conv net check with it on; that check's loss spikes came from the
   * spec's step size (one tab training alone spiked the same way) and happen without the budget
   * too (session 45, BENCHMARKS.md section 3).
   */
  sendBudget: SendBudgetTuning;
  /**
   * The send share (algorithmOptions.sendShare: the share of its slots that may leave per step) a
   * slot algorithm runs with in this runtime when the run config sets none; 1 sends whatever the
   * links take. In a browser every frame costs CPU at both ends, taken from the gradients
   * (BENCHMARKS.md section 3). 4 tabs of the MNIST MLP on 2 cores, one 4x slower, seconds until
   * every tab scored 90%, median [range] of 3 seeds (2026-12-07): every slot 16.9 [15.8-23.0] on
   * loopback and 8.1 [5.6-10.4] on home links; an eighth 8.0 [5.7-8.6] and 8.1 [7.7-9.2]. The
   * simulator charges no CPU per frame and keeps core's default (RFAST_DEFAULTS.sendShare, 1): on
   * the star and the tree budgets slowed the exact convergence of heterogeneous problems there,
   * so a run on such a topology may set 1.
   */
  defaultSendShare: number;
}

export const DEFAULT_TUNING: PeerRuntimeTuning = {
  reliableHighWaterBytes: 8 << 20,
  reliableQueueMaxBytes: 256 << 20,
  connectTimeoutMs: 20_000,
  handoffTimeoutMs: 10_000,
  reconnectDelayMs: 1_000,
  welcomeTimeoutMs: 15_000,
  idleWaitMs: 25,
  stallMs: 5_000,
  evidenceCheckMs: 200,
  evidenceAlertGapMs: 1_000,
  paceFraction: 0.25,
  maxPaceMs: 250,
  paceCheckMs: 2,
  slotLowWaterBytes: 64 << 10,
  uplinkBurstBytes: 16 << 10,
  maxGradientRetries: 3,
  maxHeldBytes: 64 << 20,
  maxControlChars: 4096,
  closeGraceMs: 2_000,
  sendBudget: { computeShareTarget: 0.9, band: 0.05, windowMs: 1_000, minSteps: 8, minShare: 1 / 32, shrink: 0.7, grow: 1.05 },
  defaultSendShare: 1 / 8,
};

/** SCTP stream ids of our negotiated channels (simple-peer's own channel is auto-numbered, below these). */
export const RELIABLE_CHANNEL_ID = 100;
export const UNRELIABLE_CHANNEL_ID = 101;
