import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfigInput } from '@starling/protocol';
import { spawnTs, stopChild } from './process';
import { tempDir } from './temp-dir';

export interface TestServer {
  url: string;
  dataDir: string;
  port: number;
  /** Everything the server printed, for failure messages. */
  log: () => string;
  stop: () => Promise<void>;
  /** SIGKILL: the process dies at once, as in a crash (nothing is closed cleanly). */
  kill: () => Promise<void>;
}

const START_TIMEOUT_MS = 120_000;

/**
 * Starts the real server (tsx apps/server/src/main.ts) on a free port with the given run config and
 * a data dir of its own (its own SQLite database; packing MNIST takes well under a second). Pass
 * `dataDir` to restart a server on the data of an earlier one.
 */
export interface ServerStartOptions {
  dataDir?: string;
  /** Listen here instead of on a free port: a restarted server where the tabs expect it. */
  port?: number;
  adminToken?: string;
  newRun?: boolean;
  /** More flags (TLS, TURN, Redis...). Without `--stun`, peers get none: tests keep traffic on loopback. */
  args?: string[];
  /** Wait for the run's data to be ready (the process that owns the run); false for the others of a cluster. */
  waitForData?: boolean;
}

export async function startServer(config: RunConfigInput, opts: ServerStartOptions = {}): Promise<TestServer> {
  const dir = tempDir('starling-e2e-');
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const configFile = join(dir, 'run.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawnTs('apps/server/src/main.ts', [
    '--port', String(opts.port ?? 0), '--config', configFile, '--data-dir', dataDir,
    ...(opts.adminToken ? ['--admin-token', opts.adminToken] : []),
    ...(opts.newRun ? ['--new-run'] : []),
    ...(opts.args?.includes('--stun') ? [] : ['--stun', 'none']),
    ...(opts.args ?? []),
  ]);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
    const check = () => {
      const listening = /listening on (https?:\/\/\S+)/.exec(out);
      if (listening && (opts.waitForData === false || /data: ready/.test(out))) {
        clearTimeout(timer);
        resolve(listening[1].replace('127.0.0.1', 'localhost'));
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    log: () => out,
    stop: async () => {
      await stopChild(child);
    },
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Pauses or resumes the server's run as its owner (`adminToken` as the server was started with). */
export async function setRunPaused(url: string, adminToken: string, paused: boolean): Promise<void> {
  const r = await fetch(`${url}/api/run/state`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ paused }),
  });
  if (!r.ok) throw new Error(`pause=${paused} answered ${r.status}`);
}
