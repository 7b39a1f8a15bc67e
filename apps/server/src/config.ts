import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, describeIssues, issuesFromZod, parseRunConfig, type RunConfig } from '@starling/protocol';
import { ServerConfigError } from './errors';
import { resolveTuning, tuningOverridesSchema, type ServerTuning } from './tuning';

export { SERVER_TUNING, resolveTuning, tuningOverridesSchema, type ServerTuning, type DownsampleTier, type RateLimit } from './tuning';
export { ServerConfigError } from './errors';

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

/** The STUN server peers get unless the owner names others (`stun: []` for none). */
export const DEFAULT_STUN = 'stun:stun.l.google.com:19302';

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
  /** JSON file overriding SERVER_TUNING (any subset of its keys). */
  tuningFile: z.string().min(1).optional(),
  /**
   * Addresses of reverse proxies whose X-Forwarded-For is believed: the client address is then the
   * rightmost forwarded address that is not one of them. Empty (default): the header is ignored and
   * every limit applies to the TCP peer address.
   */
  trustProxy: z.array(z.string().min(1).max(64)).max(16).default([]),

  /** JSON file with any of these options (command-line flags win over it). */
  serverConfigFile: z.string().min(1).optional(),
  /** PEM certificate (chain) and private key: the server speaks HTTPS (and WSS) instead of HTTP. Both or neither. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),

  /** STUN servers every peer gets, so peers behind NATs find their public address; [] for none (one machine, a LAN). */
  stun: z.array(z.string().regex(/^stuns?:\S+$/, "a 'stun:' or 'stuns:' URL").max(512)).max(4).default([DEFAULT_STUN]),
  /** TURN servers (coturn with use-auth-secret) for peers no direct route reaches; each peer gets time-limited credentials. */
  turnUrls: z.array(z.string().regex(/^turns?:\S+$/, "a 'turn:' or 'turns:' URL").max(512)).max(4).default([]),
  /** The TURN server's static-auth-secret (or `turnSecretFile`, or env STARLING_TURN_SECRET). */
  turnSecret: z.string().min(16, 'use at least 16 characters').max(512).optional(),
  turnSecretFile: z.string().min(1).optional(),
  /** How long each TURN credential is valid; peers get fresh ones every half of this. */
  turnTtlSeconds: z.int().min(10).max(7 * 24 * 3600).default(24 * 3600),

  /** Redis URL: several server processes (same --data-dir) share one swarm; without it the server is one process. */
  redis: z.string().regex(/^rediss?:\/\/\S+$/, "a 'redis://' or 'rediss://' URL").optional(),
  /** How the other processes reach this one (default: its own listening address). */
  advertiseUrl: z.url({ protocol: /^https?$/ }).optional(),
}).superRefine((o, ctx) => {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    ctx.addIssue({ code: 'custom', path: [o.tlsCert === undefined ? 'tlsCert' : 'tlsKey'], message: 'give both tlsCert and tlsKey (--tls-cert and --tls-key), or neither' });
  }
  if (o.turnUrls.length > 0 && o.turnSecret === undefined && o.turnSecretFile === undefined) {
    ctx.addIssue({ code: 'custom', path: ['turnSecret'], message: "TURN needs the TURN server's static-auth-secret: --turn-secret-file FILE or env STARLING_TURN_SECRET" });
  }
});
export type ServerOptions = z.output<typeof serverOptionsSchema>;
export type ServerOptionsInput = z.input<typeof serverOptionsSchema>;

export function parseServerOptions(input: unknown): ServerOptions {
  const r = serverOptionsSchema.safeParse(input);
  if (!r.success) {
    const issues = issuesFromZod(r.error);
    throw new ServerConfigError(`invalid server options: ${describeIssues(issues)}`, issues);
  }
  return r.data;
}

async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ServerConfigError(`cannot read ${what} file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ServerConfigError(`${what} file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The options of a --server-config file with the command line's own flags on top, validated
 * together (a key the schema does not know is an error, named).
 */
export async function mergeServerConfigFile(given: ServerOptionsInput): Promise<ServerOptions> {
  if (given.serverConfigFile === undefined) return parseServerOptions(given);
  const file = given.serverConfigFile;
  const json = await readJsonFile(file, 'server config');
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ServerConfigError(`server config file ${file} must hold a JSON object of server options`);
  try {
    return parseServerOptions({ ...(json as object), ...given });
  } catch (e) {
    if (e instanceof ServerConfigError) throw new ServerConfigError(`${file} (with the command line): ${e.message}`, e.issues);
    throw e;
  }
}

/** The run config from a JSON file, or all defaults without one. */
export async function loadRunConfig(file: string | undefined): Promise<RunConfig> {
  if (file === undefined) return parseRunConfig({});
  const json = await readJsonFile(file, 'run config');
  try {
    return parseRunConfig(json);
  } catch (e) {
    if (e instanceof ConfigError) throw new ServerConfigError(`${file}: ${e.message}`, e.issues);
    throw e;
  }
}

/** Tuning overrides from a JSON file (checked against SERVER_TUNING's keys and bounds), or none without one. */
export async function loadTuning(file: string | undefined): Promise<Partial<ServerTuning>> {
  if (file === undefined) return {};
  const r = tuningOverridesSchema.safeParse(await readJsonFile(file, 'tuning'));
  if (!r.success) {
    const issues = issuesFromZod(r.error);
    throw new ServerConfigError(`${file}: ${describeIssues(issues)}`, issues);
  }
  const overrides = r.data as Partial<ServerTuning>;
  try {
    resolveTuning(overrides);
  } catch (e) {
    throw new ServerConfigError(`${file}: ${(e as Error).message}`);
  }
  return overrides;
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
