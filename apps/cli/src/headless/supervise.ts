import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Keeps a headless peer going through native crashes. WebRTC in Node is a native addon
 * (@roamhq/wrtc), and its crashes are not JavaScript errors: a 16-peer run here lost a peer
 * process to SIGSEGV, and the watchdog kills a hung one with SIGKILL. The supervisor runs the
 * peer as a child process and starts a fresh one (which joins again as a new peer and copies a
 * neighbour's model) when the child dies by a signal it was not sent by us. A child that exits on
 * its own (left cleanly, or failed with a reason it printed) is not restarted: its code is ours.
 */
export interface SuperviseOptions {
  /** Fresh children after crashes, at most (0: none, the crash ends the supervisor too). */
  maxRestarts: number;
  /** Wait before the n-th restart (n from 1). */
  backoffMs: (n: number) => number;
  log: (line: string) => void;
}

/** Exit code for a child that died by `signal`, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 1);
}

/**
 * Runs `start()` until a child exits by itself or the restarts run out; SIGINT / SIGTERM to this
 * process are passed to the child, and then its exit is ours. Resolves with the exit code.
 */
export function supervise(start: () => ChildProcess, o: SuperviseOptions): Promise<number> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    let stopping = false;
    let restarts = 0;
    const forward = (signal: NodeJS.Signals) => {
      stopping = true;
      child.kill(signal);
    };
    const onInt = () => forward('SIGINT');
    const onTerm = () => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const finish = (code: number) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    const run = () => {
      child = start();
      child.once('exit', (code, signal) => {
        if (signal === null || stopping) return finish(code ?? (signal === null ? 0 : signalExitCode(signal)));
        if (restarts >= o.maxRestarts) {
          o.log(`supervisor: the peer process died by ${signal}; no restarts left (${o.maxRestarts} used), giving up`);
          return finish(signalExitCode(signal));
        }
        restarts++;
        const wait = o.backoffMs(restarts);
        o.log(`supervisor: the peer process died by ${signal} (a crash or hang in native code, not a peer error); starting a fresh one in ${wait} ms (restart ${restarts} of ${o.maxRestarts})`);
        setTimeout(() => (stopping ? finish(signalExitCode(signal)) : run()), wait);
      });
    };
    run();
  });
}
