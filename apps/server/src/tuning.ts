import { z } from 'zod';
import { ROBUST_DEFAULTS } from '@starling/core';
import { PROTOCOL_LIMITS } from '@starling/protocol';
import { ServerConfigError } from './errors';

/**
 * The server's tunables, in one place. Run-level settings live in the run config instead. Every
 * value can be overridden: `startServer({ tuning })` in code, `--tuning FILE` (a JSON object with
 * any subset of these keys) on the command line. Overrides are checked by `resolveTuning`.
 */

/** A token bucket: `burst` events at once, refilled at `perSecond`. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

export interface DownsampleTier {
  olderThanMs: number;
  bucketMs: number;
}

export const SERVER_TUNING = {
  /** Telemetry reports kept per peer (about five minutes at one report a second). */
  telemetryHistory: 300,
  /** Departed peers kept for the dashboard before the oldest are forgotten. */
  departedKept: 256,
  /**
   * Joins are settled into one epoch at most once per (live peers / this) seconds: each epoch is a
   * message to every live peer, so this bounds the epoch messages a join storm costs to about this
   * many a second. 2,000 live peers wait up to 1 s for their welcome, 4 peers up to 2 ms.
   */
  epochMessagesPerSec: 2000,
  /** How often observers receive a `peers` summary (and the divergence check runs). */
  peersBroadcastMs: 1000,
  /**
   * When a live peer is flagged as diverged (divergence.ts): its loss above both 3x the run's
   * median and the median + 1 (a chance-level MNIST model has loss 2.3 while a trained one is
   * under 0.5), judged once 3 peers past 20 steps report a loss.
   */
  divergence: { lossFactor: 3, lossMargin: 1, minPeers: 3, minSteps: 20 },
  /**
   * When a peer is flagged for hostile frames and ejected (hostile-frames.ts): core's verdict rule
   * (ROBUST_DEFAULTS.verdict: two distinct reporters, refusals or mostly-clipped frames), and an
   * ejected peer's address may not join again for 10 minutes (behind a shared NAT that locks out
   * its neighbours' new joins too, never their running peers).
   */
  hostileFrames: { ...ROBUST_DEFAULTS.verdict, ejectMs: 10 * 60_000 },
  /**
   * The verdict also runs when a telemetry report arrives whose evidence counts against a sender
   * (peers send one at once then: EvidenceAlert in @starling/peer), at most once per this many ms;
   * otherwise it runs with the peers broadcast. A sign-flipper does its damage in the first 20-50
   * steps, and a second of waiting is 25-85 steps of a tab.
   */
  hostileJudgeGapMs: 100,
  /** Largest socket.io packet. Above the signal limit, so an oversized signal is *rejected* (and counted). */
  maxHttpBufferSize: 4 * PROTOCOL_LIMITS.maxSignalChars,
  /** Largest JSON request body (run control, new run). A run config is well under 4 KiB. */
  maxBodyBytes: 16 * 1024,
  /** Check for silent peers this many times per peerTimeoutMs. */
  sweepsPerTimeout: 4,
  /**
   * Silence allowed to a peer that has not reported a step yet (the run's peerTimeoutMs applies
   * from its first step on): downloading the shard and setting up TF.js can hold a tab's main
   * thread for seconds on a loaded machine.
   */
  joinGraceMs: 30_000,
  /** Event names longer than this are truncated in `rejected` replies and logs. */
  maxEventNameChars: 64,

  // --- Hostile clients: every limit below is per client address (see `trustProxy`) or per connection.
  /**
   * Open TCP connections (HTTP and socket.io together) per client address; one more is closed at
   * once. A browser tab holds about 7 (6 HTTP + 1 WebSocket). Behind a trusted proxy the cap is on
   * socket.io connections per forwarded address. Many volunteers behind one NAT share an address.
   */
  maxConnectionsPerAddress: 256,
  /** Live peers (seats of the run) one address may hold; the run's maxPeers applies on top. */
  maxPeersPerAddress: 16,
  /** Peer joins (`hello` as a peer) per address: leaving and joining again churns everyone's epoch. */
  joinsPerAddress: { burst: 16, perSecond: 0.5 } as RateLimit,
  /** HTTP requests per address (a tab loads about 20 files; a peer then makes a request every few seconds). */
  httpRequestsPerAddress: { burst: 400, perSecond: 100 } as RateLimit,
  /** `signal` events per connection (trickle ICE sends a handful per neighbour). */
  signalsPerConnection: { burst: 200, perSecond: 50 } as RateLimit,
  /** Every other event (`telemetry` once a second, `hello`, `leave`, unknown ones) per connection. */
  eventsPerConnection: { burst: 20, perSecond: 5 } as RateLimit,
  /** A connection whose events are refused for rate this many times in a row is disconnected. */
  floodDisconnectAfter: 100,
  /**
   * Bytes the server may hold for one client that does not read (socket.io's queue plus the
   * WebSocket's). Above it a lossless message (signal, epoch) disconnects the client and a
   * periodic one (the `peers` table) is skipped until it drains.
   */
  maxBufferedBytes: 4 * 1024 * 1024,
  /** On shutdown, connections still open this long after the close began are cut (a client that does not read would hold it up). */
  shutdownGraceMs: 1000,

  // --- HTTP timeouts: a client that stalls gets 408 and its connection closes.
  /** Whole request (headers and body); a 400 KB snapshot needs about 30 s at 100 kbit/s. */
  requestTimeoutMs: 120_000,
  /** Request headers. */
  headersTimeoutMs: 20_000,
  /** How often Node checks the two timeouts above. */
  timeoutCheckMs: 5_000,
  /**
   * An idle keep-alive connection is closed after this long. Node's default (5 s) is shorter than
   * clients keep idle sockets for reuse (browsers about 5 min); a client that reuses one just as
   * the server closes it gets EPIPE / "other side closed" for a request that never arrived. Node's
   * fetch reuses a socket after its own timer, which fires late when its event loop is busy (a
   * script evaluating a model synchronously hit exactly this at 5 s). A minute makes the server
   * the side that rarely closes first; idle sockets still count against maxConnectionsPerAddress.
   */
  keepAliveTimeoutMs: 65_000,
  /**
   * A body the server refuses before reading it (wrong token, rate limit) is read and discarded
   * up to this many bytes before the reply, so the client sees the answer and not a reset; a
   * longer one (or one that exceeds its route's limit) is answered at once and the connection closed.
   */
  maxDiscardBytes: 8 * 1024 * 1024,

  // --- Telemetry plausibility: a report beyond these bounds is refused and its peer flagged.
  /** Training steps per second (a browser MLP step takes at least ~1 ms). */
  maxStepsPerSec: 2000,
  /** Bytes per second sent or received over data channels. */
  maxBytesPerSec: 1e9,
  /** Frames per second sent, received, lost or rejected. */
  maxFramesPerSec: 1e6,
  /** Highest training loss a report may carry (a diverged but honest peer stays below this). */
  maxReportedLoss: 1e9,
  /** Clock and queueing slack added to every time span the bounds are computed over. */
  telemetrySlackMs: 2000,

  /** One metric point (and one loss point per live peer) per run every this many ms. */
  metricIntervalMs: 1000,
  /**
   * Downsampling tiers, finest first: points older than `olderThanMs` are merged into one per
   * `bucketMs`. Full resolution for the last hour, one a minute after that and one per 10 minutes
   * after a day, so a run of d days keeps at most about 3600 + 1380 + 144 d points (and as many per
   * peer in peer_losses).
   */
  downsampleTiers: [
    { olderThanMs: 60 * 60_000, bucketMs: 60_000 },
    { olderThanMs: 24 * 60 * 60_000, bucketMs: 10 * 60_000 },
  ] as readonly DownsampleTier[],
  /** How often the downsampling pass runs (it touches only points that crossed a tier since the last pass). */
  downsampleEveryMs: 60_000,

  /** Checkpoints kept per run (the newest); older ones are deleted when a new one is stored. */
  checkpointsKept: 3,
  /** At most one checkpoint per run per this many ms: evaluations can be far more frequent. */
  checkpointMinIntervalMs: 30_000,
  /**
   * Checks an evaluated snapshot must pass to become the run's checkpoint (joiners start from it
   * and the admin downloads it): its server-measured accuracy at most `checkpointMaxAccuracyDrop`
   * below, and its loss at most `checkpointMaxLossRatio` x + `checkpointLossSlack` above, the best
   * trusted evaluation of the last `checkpointBestWindowMs` (before there is one: chance level).
   */
  checkpointMaxAccuracyDrop: 0.05,
  /** For tasks without an accuracy (regression): the loss may also rise at most this fraction above the recent best. */
  checkpointMaxLossRise: 0.25,
  checkpointMaxLossRatio: 2,
  checkpointLossSlack: 0.25,
  checkpointBestWindowMs: 10 * 60_000,
  /**
   * Parameter norm: within a factor `checkpointMaxNormRatio` of the median norm of other peers'
   * recent snapshots (the last `checkpointConsensusWindowMs`), and never above
   * `checkpointMaxNormVsInitial` x the norm of the run's initial model, so a garbage first
   * snapshot cannot become the baseline.
   */
  checkpointMaxNormRatio: 4,
  checkpointMaxNormVsInitial: 20,
  checkpointConsensusWindowMs: 5 * 60_000,

  /** Largest snapshot upload; a model above this cannot be uploaded (101,770 f32 = 398 KiB by default). */
  maxSnapshotBytes: 64 * 1024 * 1024,
  /** A peer may upload at most once per `snapshotIntervalMs * snapshotRateFactor` (faster: 429). */
  snapshotRateFactor: 0.5,
  /** Test images per server evaluation (the first N of the 10k test set). */
  evalTestCount: 10_000,
  /** Examples per forward pass of a server evaluation at most: the event loop gets a turn between batches. */
  evalBatchSize: 500,
  /**
   * How long one of those passes may hold the event loop, ms: each is sized from the measured time
   * per example (a char-lm window costs about 1,000x an MNIST image), well under the peers' 5 s
   * heartbeat timeout.
   */
  evalChunkMs: 50,
  /** At least this long between the starts of two evaluations, bounding their CPU share (newest snapshot wins). */
  minEvalIntervalMs: 2000,
  /**
   * Serve every response with COOP same-origin + COEP require-corp (+ CORP same-origin), so pages
   * are cross-origin isolated and TF.js's wasm backend can run multi-threaded with SIMD.
   */
  crossOriginIsolated: true,
  /**
   * What the dashboard shows of each evaluated snapshot: predictions on the first `images` test
   * images, or `chars` characters the language model writes (sampled at `temperature`) after a
   * prompt from the validation text. Generating costs one forward pass per character, so it stays short.
   */
  samples: { images: 8, chars: 48, temperature: 0.8 },
  /**
   * Limits of an owner's task upload (POST /api/tasks). Everything is checked before it is
   * inflated, decoded or built: a model of at most `maxParams` parameters in `maxLayers` layers,
   * a CSV of `maxRows` x `maxColumns`, a zip of `maxEntries` PNG images of at most `maxImageSide`
   * pixels a side, `maxEntryBytes` each and `maxTotalBytes` in all, compressed at most `maxRatio`:1.
   */
  uploads: {
    maxBodyBytes: 64 * 1024 * 1024,
    maxModelJsonBytes: 1024 * 1024,
    maxLayers: 32,
    maxParams: 2_000_000,
    maxRows: 200_000,
    maxColumns: 1024,
    maxEntries: 20_000,
    maxEntryBytes: 4 * 1024 * 1024,
    maxTotalBytes: 256 * 1024 * 1024,
    maxRatio: 100,
    maxImageSide: 512,
    maxClasses: 255,
    minExamples: 20,
    testFraction: 0.1,
  },
  /** TF.js backends for server evaluation, in order of preference. */
  evalBackends: ['wasm', 'cpu'] as readonly ('wasm' | 'cpu')[],

  // --- Several processes (--redis): see cluster/node.ts.
  /**
   * The owner's lease on the run; renewed five times per lease. When the owner dies, another
   * process takes over after at most this long (clients reconnect meanwhile). It must outlast the
   * longest stall of a loaded owner's event loop: at 3 s, an owner busy evaluating a snapshot on a
   * machine at load 11 missed its renewals, another process took the run and the two handed it
   * back and forth (e2e/cluster.spec.ts).
   */
  ownerLeaseMs: 10_000,
  /** A request passed on to the owning process with no answer for this long gets a 504. */
  proxyTimeoutMs: 30_000,
};
export type ServerTuning = typeof SERVER_TUNING;

/** A zod schema with the shape of `value`: numbers finite and >= 0, objects strict, arrays like their first element. */
function schemaLike(value: unknown): z.ZodType {
  if (typeof value === 'number') return z.number().min(0);
  if (typeof value === 'boolean') return z.boolean();
  if (typeof value === 'string') return z.string();
  if (Array.isArray(value)) return z.array(schemaLike(value[0]));
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(value as object)) shape[k] = schemaLike(v);
  return z.strictObject(shape);
}

/** Overrides as read from a `--tuning` file: any subset of SERVER_TUNING's keys, each shaped like its default. */
export const tuningOverridesSchema = (schemaLike(SERVER_TUNING) as z.ZodObject).partial();

const POSITIVE: readonly (keyof ServerTuning)[] = [
  'telemetryHistory', 'departedKept', 'peersBroadcastMs', 'hostileJudgeGapMs', 'epochMessagesPerSec', 'maxHttpBufferSize', 'maxBodyBytes', 'sweepsPerTimeout', 'joinGraceMs',
  'keepAliveTimeoutMs', 'maxConnectionsPerAddress', 'maxPeersPerAddress', 'floodDisconnectAfter', 'maxBufferedBytes', 'requestTimeoutMs',
  'headersTimeoutMs', 'timeoutCheckMs', 'maxStepsPerSec', 'maxBytesPerSec', 'maxFramesPerSec', 'maxReportedLoss',
  'metricIntervalMs', 'downsampleEveryMs', 'checkpointsKept', 'checkpointMaxLossRatio', 'checkpointMaxNormRatio',
  'checkpointMaxNormVsInitial', 'maxSnapshotBytes', 'evalTestCount', 'evalBatchSize', 'evalChunkMs', 'ownerLeaseMs', 'proxyTimeoutMs',
];
const RATES: readonly (keyof ServerTuning)[] = ['joinsPerAddress', 'httpRequestsPerAddress', 'signalsPerConnection', 'eventsPerConnection'];

/** SERVER_TUNING with overrides (tests shorten intervals); throws ServerConfigError naming the bad key. */
export function resolveTuning(overrides: Partial<ServerTuning> = {}): ServerTuning {
  const parsed = tuningOverridesSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServerConfigError(`tuning.${issue.path.join('.')}: ${issue.message}`);
  }
  const t = { ...SERVER_TUNING, ...overrides };
  for (const k of POSITIVE) {
    const v = t[k];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ServerConfigError(`tuning.${k} must be a positive number, got ${String(v)}`);
  }
  for (const k of RATES) {
    const r = t[k] as RateLimit;
    if (!(r.burst >= 1) || !(r.perSecond > 0)) throw new ServerConfigError(`tuning.${k} needs burst >= 1 and perSecond > 0, got ${JSON.stringify(r)}`);
  }
  if (t.headersTimeoutMs > t.requestTimeoutMs) throw new ServerConfigError('tuning.headersTimeoutMs must not exceed tuning.requestTimeoutMs');
  if (t.maxHttpBufferSize <= PROTOCOL_LIMITS.maxSignalChars) {
    throw new ServerConfigError(`tuning.maxHttpBufferSize must exceed the signal limit (${PROTOCOL_LIMITS.maxSignalChars}), so oversized signals are refused and counted`);
  }
  for (const b of t.evalBackends) if (b !== 'wasm' && b !== 'cpu') throw new ServerConfigError(`tuning.evalBackends: '${String(b)}' is not one of wasm, cpu`);
  for (let i = 0; i < t.downsampleTiers.length; i++) {
    const tier = t.downsampleTiers[i];
    const prev = i > 0 ? t.downsampleTiers[i - 1] : undefined;
    if (!(tier.bucketMs > 0) || !(tier.olderThanMs > 0) || (prev && (tier.olderThanMs < prev.olderThanMs || tier.bucketMs % prev.bucketMs !== 0))) {
      throw new ServerConfigError(`tuning.downsampleTiers[${i}] must have positive sizes, older tiers later, and a bucket that is a multiple of the previous one`);
    }
  }
  return t;
}
