import type { PeerStatus } from '@starling/peer';
import { spawnTs, stopChild } from './process';

/** A headless Node peer (apps/cli/src/peer.ts) running as its own process, as a user would run it. */
export interface HeadlessPeer {
  label: string;
  /** Its latest status line (`--json` prints the PeerStatus), or null before the first one. */
  latest: () => PeerStatus | null;
  log: () => string;
  /**
   * Why this peer cannot be trusted to be alive, or null: its process exited (code or signal), its
   * peer process crashed and the supervisor restarted it, or it printed no status line for `silentMs` (it prints one a second, so a hung event loop or a
   * wedged native call shows as silence).
   */
  trouble: (silentMs?: number) => string | null;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

export function startHeadless(serverUrl: string, label: string, extraArgs: readonly string[] = []): HeadlessPeer {
  const child = spawnTs('apps/cli/src/peer.ts', ['--server', serverUrl, '--json', '--status-every', '1', ...extraArgs]);
  let out = '';
  let latest: PeerStatus | null = null;
  let lastRecordAt = Date.now();
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = signal !== null ? `killed by ${signal}` : `exited with code ${code}`));
  // Status records come on stdout while it runs; a failure's last one comes on stderr.
  const records = () => {
    let partial = '';
    return (d: Buffer) => {
      out += d;
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          latest = JSON.parse(line) as PeerStatus;
          lastRecordAt = Date.now();
        } catch {
          // a line that is not a status record: it stays in the log
        }
      }
    };
  };
  child.stdout!.on('data', records());
  child.stderr!.on('data', records());
  return {
    label,
    latest: () => latest,
    log: () => out,
    trouble: (silentMs = 20_000) => {
      if (exited !== null) return `${label}'s process ${exited}`;
      // The CLI's supervisor restarts a peer process that crashed: the peer lost its model and id.
      const crash = /supervisor: the peer process died by (\w+)/.exec(out);
      if (crash !== null) return `${label}'s peer process died by ${crash[1]} and was restarted (a crash in native code)`;
      const silent = Date.now() - lastRecordAt;
      return silent > silentMs ? `${label} printed no status for ${(silent / 1000).toFixed(0)} s (hung?)` : null;
    },
    stop: () => stopChild(child),
  };
}
