import { spawn, type ChildProcess } from 'node:child_process';

const STOP_TIMEOUT_MS = 10_000;

/** A headless Node peer (apps/cli/src/peer.ts) running as its own process, as a user would run it. */
export interface HeadlessPeer {
  label: string;
  /** Its latest status line (the `--json` record), or null before the first one. */
  latest: () => Record<string, unknown> | null;
  log: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

export function startHeadless(serverUrl: string, label: string): HeadlessPeer {
  // node itself (not npx), so that SIGTERM reaches the peer's own handler rather than a wrapper.
  const args = ['--import', 'tsx', 'apps/cli/src/peer.ts', '--server', serverUrl, '--json', '--status-every', '1'];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let latest: Record<string, unknown> | null = null;
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        latest = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // a line that is not a status record: it stays in the log
      }
    }
  });
  child.stderr!.on('data', (d) => (out += d));
  return {
    label,
    latest: () => latest,
    log: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        // A peer that ignores SIGTERM for this long is killed; the null exit code then fails a test.
        const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}
