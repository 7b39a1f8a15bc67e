import type { ServerCounters } from './counters';

/**
 * The last line of defence: an exception that escaped every handler (a bug; bad input is refused
 * long before) is logged and counted in `uncaughtErrors` instead of ending the process, so one
 * request or socket event can never take every peer's server down. The abuse tests require the
 * counter to stay 0; a non-zero value on the dashboard is a bug to report.
 *
 * Installed by main.ts (the real server), not by tests: there the test runner must see the error.
 */
export function guardProcess(counters: ServerCounters, log: (line: string) => void): () => void {
  // stdout/stderr whose reader is gone (the terminal closed, the parent process died) fail every
  // write with EPIPE. Unhandled, that error became an uncaught exception, whose log line failed
  // again: an orphaned server spun at 100% CPU for good. Now the failure is noted and the server
  // keeps serving without a log.
  let outputGone = false;
  const onOutputError = () => {
    outputGone = true;
  };
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const onError = (e: unknown, what: string) => {
    counters.uncaughtErrors++;
    if (outputGone) return;
    log(`${what} (the server keeps running; please report this): ${(e as Error)?.stack ?? String(e)}`);
  };
  const onException = (e: unknown) => onError(e, 'uncaught exception');
  const onRejection = (e: unknown) => onError(e, 'unhandled promise rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.stdout.off('error', onOutputError);
    process.stderr.off('error', onOutputError);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
