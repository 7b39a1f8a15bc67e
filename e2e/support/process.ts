import { spawn, type ChildProcess } from 'node:child_process';

/** A child still running this long after SIGTERM is killed. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * Runs a TypeScript entry point of this repo as `node --import tsx <entry>`: node itself, not
 * `npx tsx`, because npx does not pass SIGTERM on, and stopping npx left the real process running
 * (one orphaned server per test, found by counting processes after a CI run).
 */
export function spawnTs(entry: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves with the exit code (null if killed). */
export function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}
