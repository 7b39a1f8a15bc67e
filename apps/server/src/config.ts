import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, describeIssues, issuesFromZod, parseRunConfig, PROTOCOL_LIMITS, type RunConfig, type ValidationIssue } from '@starling/protocol';

/** The server's tunables, in one place. Run-level settings live in the run config instead. */
export const SERVER_TUNING = {
  /** Telemetry reports kept per peer (about five minutes at one report a second). */
  telemetryHistory: 300,
  /** Departed peers kept for the dashboard before the oldest are forgotten. */
  departedKept: 256,
  /** How often observers receive a `peers` summary (and the divergence check runs). */
  peersBroadcastMs: 1000,
  /**
   * When a live peer is flagged as diverged (divergence.ts): its loss above both 3x the run's
   * median and the median + 1 (a chance-level MNIST model has loss 2.3 while a trained one is
   * under 0.5), judged once 3 peers past 20 steps report a loss.
   */
  divergence: { lossFactor: 3, lossMargin: 1, minPeers: 3, minSteps: 20 },
  /** Largest socket.io packet. Above the signal limit, so an oversized signal is *rejected* (and counted). */
  maxHttpBufferSize: 4 * PROTOCOL_LIMITS.maxSignalChars,
  /** Largest JSON request body (run control, new run). A run config is well under 4 KiB. */
  maxBodyBytes: 16 * 1024,
  /** Check for silent peers this many times per peerTimeoutMs. */
  sweepsPerTimeout: 4,
  /** Event names longer than this are truncated in `rejected` replies and logs. */
  maxEventNameChars: 64,

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
   * A snapshot only becomes a checkpoint if its server-measured accuracy is at most this far below
   * the run's latest checkpoint: joiners start from the checkpoint, so one bad (or malicious)
   * upload must not become everyone's starting point.
   */
  checkpointMaxAccuracyDrop: 0.05,
  /** The same gate for tasks without an accuracy (regression): the loss may rise at most this fraction. */
  checkpointMaxLossRise: 0.25,

  /** Largest snapshot upload; a model above this cannot be uploaded (101,770 f32 = 398 KiB by default). */
  maxSnapshotBytes: 64 * 1024 * 1024,
  /** A peer may upload at most once per `snapshotIntervalMs * snapshotRateFactor` (faster: 429). */
  snapshotRateFactor: 0.5,
  /** Test images per server evaluation (the first N of the 10k test set). */
  evalTestCount: 10_000,
  /** Images per forward pass of a server evaluation: the event loop gets a turn between batches. */
  evalBatchSize: 500,
  /** At least this long between the starts of two evaluations, bounding their CPU share (newest snapshot wins). */
  minEvalIntervalMs: 2000,
  /** TF.js backends for server evaluation, in order of preference. */
  evalBackends: ['wasm', 'cpu'] as readonly ('wasm' | 'cpu')[],
};
export type ServerTuning = typeof SERVER_TUNING;

export interface DownsampleTier {
  olderThanMs: number;
  bucketMs: number;
}

/** SERVER_TUNING with overrides (tests shorten intervals); throws ServerConfigError on nonsense. */
export function resolveTuning(overrides: Partial<ServerTuning> = {}): ServerTuning {
  const t = { ...SERVER_TUNING, ...overrides };
  const positive: (keyof ServerTuning)[] = ['metricIntervalMs', 'downsampleEveryMs', 'checkpointsKept', 'maxSnapshotBytes', 'evalTestCount', 'evalBatchSize'];
  for (const k of positive) {
    const v = t[k];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ServerConfigError(`tuning.${k} must be a positive number, got ${String(v)}`);
  }
  for (let i = 0; i < t.downsampleTiers.length; i++) {
    const tier = t.downsampleTiers[i];
    const prev = i > 0 ? t.downsampleTiers[i - 1] : undefined;
    if (!(tier.bucketMs > 0) || !(tier.olderThanMs > 0) || (prev && (tier.olderThanMs < prev.olderThanMs || tier.bucketMs % prev.bucketMs !== 0))) {
      throw new ServerConfigError(`tuning.downsampleTiers[${i}] must have positive sizes, older tiers later, and a bucket that is a multiple of the previous one`);
    }
  }
  return t;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Where the TF.js wasm binaries are, found the way Node resolves the package; undefined if absent. */
export function defaultWasmDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    return resolve(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

export const serverOptionsSchema = z.strictObject({
  port: z.int().min(0).max(65_535).default(8080),
  /** 127.0.0.1 by default: WebGPU needs a secure context, and http://localhost is one. */
  host: z.string().min(1).max(255).default('127.0.0.1'),
  /** Where the packed MNIST files are written and read. */
  dataDir: z.string().min(1).default('.data'),
  /** The built web app (vite build output). */
  webDist: z.string().min(1).default(resolve(here, '../../web/dist')),
  /** TF.js wasm binaries served under /tfjs-wasm/; `defaultWasmDir()` when absent. */
  wasmDir: z.string().min(1).optional(),
  /** JSON file with the run config; all defaults when absent. */
  configFile: z.string().min(1).optional(),
  /** SQLite database; `<dataDir>/starling.db` when absent. */
  dbFile: z.string().min(1).optional(),
  /** Admin token for run control; STARLING_ADMIN_TOKEN or a random one when absent. */
  adminToken: z.string().regex(/^[\x21-\x7e]{16,256}$/, 'use 16-256 printable ASCII characters without spaces').optional(),
  /** Start a fresh run even if the newest run in the database is unfinished (that one becomes 'interrupted'). */
  newRun: z.boolean().default(false),
});
export type ServerOptions = z.output<typeof serverOptionsSchema>;
export type ServerOptionsInput = z.input<typeof serverOptionsSchema>;

/** A bad server option or run config file; the message says which and how to fix it. */
export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
  constructor(
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
  }
}

export function parseServerOptions(input: unknown): ServerOptions {
  const r = serverOptionsSchema.safeParse(input);
  if (!r.success) {
    const issues = issuesFromZod(r.error);
    throw new ServerConfigError(`invalid server options: ${describeIssues(issues)}`, issues);
  }
  return r.data;
}

/** The run config from a JSON file, or all defaults without one. */
export async function loadRunConfig(file: string | undefined): Promise<RunConfig> {
  if (file === undefined) return parseRunConfig({});
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ServerConfigError(`cannot read run config file ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ServerConfigError(`run config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseRunConfig(json);
  } catch (e) {
    if (e instanceof ConfigError) throw new ServerConfigError(`${file}: ${e.message}`, e.issues);
    throw e;
  }
}

/** One line per setting, printed at start-up so a run's settings are in its log. */
export function summariseRunConfig(runId: string, c: RunConfig): string {
  const topo = [c.topology.kind, c.topology.k !== undefined ? `k=${c.topology.k}` : '', c.topology.root !== undefined ? `root=${c.topology.root}` : '']
    .filter(Boolean)
    .join(' ');
  return [
    `run ${runId}: task ${c.task} ${JSON.stringify(c.taskOptions)}, algorithm ${c.algorithm}, topology ${topo}`,
    `  lr ${c.lr}, batch ${c.batchSize}, block ${c.blockSize} f32, shards ${c.shards.count} ${c.shards.mode}` +
      (c.shards.mode === 'noniid' ? ` (${c.shards.classesPerShard} classes each)` : ''),
    `  loss injection ${c.lossRate}, seed ${c.seed}, max peers ${c.maxPeers}, peer timeout ${c.peerTimeoutMs} ms`,
    `  snapshots ${c.snapshotIntervalMs === 0 ? 'off' : `every ${c.snapshotIntervalMs} ms`}`,
  ].join('\n');
}
