import { z } from 'zod';
import { algorithmDescriptor, algorithmDescriptors, type AlgorithmName, type AlgorithmOptionName, type AlgorithmOptions, type OptionSpec } from '@starling/core';
import { LINK_PROFILE_NAMES, LINK_PROFILES, type LinkShape } from '@starling/transport';
import { describeIssues, issuesFromZod, type ValidationIssue } from './issues';
import { iceServerSchema } from './ice';
import { PROTOCOL_LIMITS as L } from './limits';
import { ALGORITHM_NAMES, SHARD_MODES, TOPOLOGY_KINDS } from './names';

/**
 * The run config: everything the server decides for a run and hands to every peer in `welcome`.
 * Every field has a default, so `parseRunConfig({})` is a working run. Unknown keys are rejected
 * (a typo in a config file must not be silently ignored).
 */

/**
 * Step size of a run whose config gives none, per algorithm: each algorithm's descriptor says what
 * it is and which measurement it comes from (packages/core, registry.ts).
 */
export const DEFAULT_LR = Object.fromEntries(algorithmDescriptors().map((d) => [d.name, d.defaultLr])) as Readonly<Record<AlgorithmName, number>>;

/** Shortest non-zero snapshot period: each upload is the whole model and a server evaluation. */
export const MIN_SNAPSHOT_INTERVAL_MS = 1000;

const int = (min: number, max: number) => z.int().min(min).max(max);
const ms = (min: number, max: number) => int(min, max);

/** Task ids: built-in ones (`@starling/tasks`' registry) and `custom-<n>` for uploaded tasks. */
export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const DEFAULT_TASK = 'mnist-mlp';
/** Largest `taskOptions` as JSON; a task's options are a handful of numbers. */
const MAX_TASK_OPTIONS_CHARS = 4096;

const taskOptionsSchema = z
  .record(z.string().max(64), z.unknown())
  .refine((o) => JSON.stringify(o).length <= MAX_TASK_OPTIONS_CHARS, `must be at most ${MAX_TASK_OPTIONS_CHARS} characters as JSON`);

/**
 * Configs written before tasks existed said `task: 'mnist'` with `model: { kind: 'mlp' | 'cnn', ... }`.
 * They still work: they name the built-in task of that model, with the model's fields as its options.
 */
function upgradeLegacyTask(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const { task, model, ...rest } = input as Record<string, unknown>;
  if (task !== undefined && task !== 'mnist') return input;
  if (model === undefined) return task === 'mnist' ? { ...rest, task: DEFAULT_TASK } : input;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return input;
  const { kind = 'mlp', ...options } = model as Record<string, unknown>;
  if (kind !== 'mlp' && kind !== 'cnn') return input;
  if (rest.taskOptions !== undefined) return input;
  return { ...rest, task: `mnist-${kind}`, taskOptions: options };
}

function optionSchema(spec: OptionSpec): z.ZodType {
  return spec.type === 'enum' ? z.enum(spec.values) : (spec.type === 'int' ? z.int() : z.number()).min(spec.min).max(spec.max);
}

/** Every option some registered algorithm reads; which algorithm reads which is checked below. */
const algorithmOptionsSchema = z.strictObject(
  Object.fromEntries(
    algorithmDescriptors().flatMap((d) => Object.entries(d.options).map(([k, spec]) => [k, optionSchema(spec as OptionSpec).optional()])),
  ),
) as unknown as z.ZodType<Partial<Pick<AlgorithmOptions, AlgorithmOptionName>>, Partial<Pick<AlgorithmOptions, AlgorithmOptionName>>>;

/**
 * Links: `loopback` (unshaped) or `home` (LINK_PROFILES), or the shape itself. Every peer sends
 * through a token bucket of this rate and adds this latency (packages/transport), so a run on one
 * machine behaves like one over volunteers' home connections.
 */
const networkSchema = z
  .union([
    z.enum(LINK_PROFILE_NAMES).transform((p): LinkShape => ({ ...LINK_PROFILES[p] })),
    z.strictObject({
      /** Bytes per second each peer's uplink carries (shared by its links); null = not limited. */
      uplinkBytesPerSec: z.number().min(1000).max(1e10).nullable().default(null),
      /** One-way latency added to every frame, milliseconds. */
      latencyMs: z.number().min(0).max(5000).default(0),
    }),
  ])
  .default({ ...LINK_PROFILES.loopback });

const topologySchema = z.strictObject({
  kind: z.enum(TOPOLOGY_KINDS).default('exponential'),
  /** k-out: random out-edges per peer on top of the ring (core's default when absent). */
  k: int(0, 64).optional(),
  /** Root peer of star / tree; ignored while that peer is not live (the topology picks one). */
  root: int(0, 2 ** 31 - 1).optional(),
  /** Children per node of the tree (1 makes a chain). */
  branching: int(1, 64).optional(),
});

const shardsSchema = z.strictObject({
  mode: z.enum(SHARD_MODES).default('iid'),
  /** Non-IID only: distinct labels per shard. */
  classesPerShard: int(1, 10).default(2),
  /** Number of shards the training set is cut into; peer i trains on one of them. */
  count: int(1, 1024).default(8),
});

const runConfigObject = z
  .strictObject({
    /** Names the run in logs and telemetry; the server makes one up when absent. */
    runId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 characters from A-Z a-z 0-9 . _ -').optional(),
    /**
     * What to train: a built-in task id (mnist-mlp, mnist-cnn, fashion-mnist-cnn, char-lm) or an
     * uploaded one (custom-<n>). The server checks that it exists when the run starts.
     */
    task: z.string().regex(TASK_ID_PATTERN, 'use a task id such as mnist-mlp, mnist-cnn, fashion-mnist-cnn, char-lm or custom-<n>').default(DEFAULT_TASK),
    /** The task's own options (e.g. `{ hidden: [64] }` for mnist-mlp), checked by the task when the run starts. */
    taskOptions: taskOptionsSchema.default({}),
    algorithm: z.enum(ALGORITHM_NAMES).default('rfast'),
    algorithmOptions: algorithmOptionsSchema.prefault({}),
    network: networkSchema,
    topology: topologySchema.prefault({}),
    /**
     * Step size; when absent, DEFAULT_LR of the algorithm. For R-FAST on a regular graph z tracks
     * the average gradient, so this is a single-worker SGD rate; divide by n on a star
     * (algorithms.md 1.1).
     */
    lr: z.number().positive().max(10).optional(),
    batchSize: int(1, 4096).default(32),
    /**
     * Plain SGD steps (at lr, on the peer's own minibatches) a peer takes per step of the
     * algorithm: the algorithm is handed the sum of their gradients, so it mixes, tracks and sends
     * once per H gradients (local SGD; peer/src/local-round.ts). 1 = one gradient per step. A step
     * (maxSteps, evalEverySteps, the dashboard's) is then a round of H gradients; samples and
     * modelAverageSteps count gradients. The simulator does not model it.
     */
    innerSteps: int(1, 64).default(1),
    /**
     * f32 elements per frame. 4096 keeps a float64 RHO block at 32 KiB; at most 16384 (128 KiB),
     * well below the 256 KiB WebRTC message cap. Smaller blocks survive loss better.
     */
    blockSize: int(16, 16_384).default(4096),
    shards: shardsSchema.prefault({}),
    /** Probability that a peer drops an outgoing unreliable frame on purpose (loss injection). */
    lossRate: z.number().min(0).max(1).default(0),
    /** Seeds the shard split, topology randomness, model init and loss injection. */
    seed: int(0, 2 ** 32 - 1).default(1),
    telemetryIntervalMs: ms(100, 60_000).default(1000),
    /** Peer-to-peer heartbeat on the data channels (channels report a closed tab only after 40 s+). */
    heartbeatIntervalMs: ms(100, 60_000).default(1000),
    /** A peer silent this long (server: no telemetry; peers: no heartbeat) is treated as gone. */
    peerTimeoutMs: ms(500, 600_000).default(5000),
    /** Up to PROTOCOL_LIMITS.maxNeighbours: a run over which every member may be every other's link target (gossip, AllReduce). */
    maxPeers: int(1, L.maxNeighbours).default(64),
    /** Evaluate on the test subset every this many steps; 0 = never. */
    evalEverySteps: int(0, 1_000_000).default(200),
    /** Test images used per evaluation (first N of the 10k test set). */
    evalSamples: int(1, 10_000).default(1000),
    /**
     * Each peer evaluates and uploads (as snapshots, so as the run's checkpoint) an exponential
     * average of its model over about this many steps instead of its latest model, once it has
     * taken that many steps (before, its model itself); 0 = the latest model always. Training and
     * the model handed to joiners are unaffected. In 4 real tabs (BENCHMARKS.md section 3, session
     * 45) 50 steps cut the time until every tab's model scored 90% for every algorithm measured:
     * R-FAST 6.4 -> 4.8 s on loopback and 6.7 -> 5.0 on home links, AD-PSGD 6.9 -> 6.4 and 6.1 ->
     * 5.2, solo 8.8 -> 8.6 and 10.3 -> 8.7 (3 seeds); in the simulator it ended 1.4 points above
     * the peers' own models on IID MNIST.
     */
    modelAverageSteps: int(0, 1_000_000).default(50),
    /** Steps after which a peer stops training; 0 = no limit. */
    maxSteps: int(0, 1e9).default(0),
    /**
     * ICE servers of this run, tried before the server's own (its STUN default and TURN with fresh
     * credentials, which every peer gets in `welcome` and `ice-servers`); empty is the usual choice.
     */
    iceServers: z.array(iceServerSchema).max(8).default([]),
    /** 'relay' makes every link go through TURN (a test of the relay path, or a privacy choice); 'all' lets ICE pick. */
    iceTransportPolicy: z.enum(['all', 'relay']).default('all'),
    /** Skip (not queue) an unreliable send while the channel's bufferedAmount exceeds this. */
    maxBufferedBytes: int(64 * 1024, 16 * 1024 * 1024).default(1024 * 1024),
    /**
     * How often each peer uploads a model snapshot for the server to evaluate on the full test set
     * (and keep as a checkpoint); 0 = never. The server refuses uploads faster than half this.
     */
    snapshotIntervalMs: ms(0, 3_600_000).default(10_000),
  })
  .superRefine((c, ctx) => {
    const reads = algorithmDescriptor(c.algorithm).options;
    for (const key of Object.keys(c.algorithmOptions)) {
      if (!Object.hasOwn(reads, key)) {
        ctx.addIssue({ code: 'custom', path: ['algorithmOptions', key], message: `${c.algorithm} has no option '${key}'` });
      }
    }
    const beat = Math.max(c.telemetryIntervalMs, c.heartbeatIntervalMs);
    if (c.peerTimeoutMs < 2 * beat) {
      ctx.addIssue({
        code: 'custom',
        path: ['peerTimeoutMs'],
        message: `must be at least twice max(telemetryIntervalMs, heartbeatIntervalMs) = ${2 * beat} ms, or live peers are timed out`,
      });
    }
    if (c.snapshotIntervalMs > 0 && c.snapshotIntervalMs < MIN_SNAPSHOT_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['snapshotIntervalMs'],
        message: `must be 0 (never) or at least ${MIN_SNAPSHOT_INTERVAL_MS} ms: each upload is a whole model`,
      });
    }
  })
  // The step size a config leaves out depends on the algorithm it names.
  .transform((c) => ({ ...c, lr: c.lr ?? DEFAULT_LR[c.algorithm] }));

export const runConfigSchema = z.preprocess(upgradeLegacyTask, runConfigObject);

export type RunConfig = z.output<typeof runConfigSchema>;
/** What a config file may contain: every field optional (older files may also use `model`, see upgradeLegacyTask). */
export type RunConfigInput = z.input<typeof runConfigObject>;

/** The run config was invalid; `issues` names each bad field by its path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid run config: ${describeIssues(issues)}`);
  }
}

/** Validate a run config (parsed JSON, or `{}` for all defaults) and fill in defaults. */
export function parseRunConfig(input: unknown): RunConfig {
  const r = runConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(issuesFromZod(r.error));
  return r.data;
}

export function defaultRunConfig(): RunConfig {
  return parseRunConfig({});
}

/**
 * Training samples behind one step of a run: batchSize, times innerSteps (a step is a round of
 * that many minibatches). The runtime's sample counter, the server's telemetry check and the
 * dashboard's throughput all count with it.
 */
export function samplesPerStep(config: Pick<RunConfig, 'batchSize' | 'innerSteps'>): number {
  return config.batchSize * config.innerSteps;
}
