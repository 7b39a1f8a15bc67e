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
  /** How often observers receive a `peers` summary. */
  peersBroadcastMs: 1000,
  /** Largest socket.io packet. Above the signal limit, so an oversized signal is *rejected* (and counted). */
  maxHttpBufferSize: 4 * PROTOCOL_LIMITS.maxSignalChars,
  /** Largest HTTP request body (the run-state control endpoint). */
  maxBodyBytes: 4096,
  /** Check for silent peers this many times per peerTimeoutMs. */
  sweepsPerTimeout: 4,
  /** Event names longer than this are truncated in `rejected` replies and logs. */
  maxEventNameChars: 64,
} as const;

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
    `run ${runId}: ${c.task} ${c.model.kind} [${c.model.hidden.join(', ')}], algorithm ${c.algorithm}, topology ${topo}`,
    `  lr ${c.lr}, batch ${c.batchSize}, block ${c.blockSize} f32, shards ${c.shards.count} ${c.shards.mode}` +
      (c.shards.mode === 'noniid' ? ` (${c.shards.classesPerShard} classes each)` : ''),
    `  loss injection ${c.lossRate}, seed ${c.seed}, max peers ${c.maxPeers}, peer timeout ${c.peerTimeoutMs} ms`,
  ].join('\n');
}
