import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfigInput } from '@starling/protocol';

export interface TestServer {
  url: string;
  /** Everything the server printed, for failure messages. */
  log: () => string;
  stop: () => Promise<void>;
}

const START_TIMEOUT_MS = 120_000;

/**
 * Starts the real server (tsx apps/server/src/main.ts) on a free port with the given run config,
 * sharing the packed-MNIST data dir between tests so MNIST is packed once.
 */
export async function startServer(config: RunConfigInput): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'starling-e2e-'));
  const configFile = join(dir, 'run.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child: ChildProcess = spawn(
    'npx',
    ['tsx', 'apps/server/src/main.ts', '--port', '0', '--config', configFile, '--data-dir', '.data/e2e'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STARLING_DATA_ROOT: dir } },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
    const check = () => {
      const listening = /listening on (http:\/\/\S+)/.exec(out);
      if (listening && /mnist: ready/.test(out)) {
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
    log: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
