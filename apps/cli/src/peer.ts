/**
 * A headless volunteer peer: the same runtime as the browser's contribute page (packages/peer),
 * in Node, with WebRTC from @roamhq/wrtc (prebuilt, no compiler needed) and TF.js on WebGPU (Dawn,
 * when the machine has a GPU driver), wasm or cpu. It trains alongside browser tabs on the same
 * run. `--help` lists the options.
 *
 *   npx tsx apps/cli/src/peer.ts --server http://localhost:8080
 *   for i in 1 2 3; do npx tsx apps/cli/src/peer.ts --server http://localhost:8080 & done
 *
 * Exit codes: 0 after SIGINT/SIGTERM (it leaves the run cleanly), 1 when the peer failed, 2 for a
 * bad command line.
 */
import { spawn } from 'node:child_process';
import { HEADLESS_USAGE, HeadlessUsageError, parseHeadlessArgs, type HeadlessOptions } from './headless/options';
import { supervise } from './headless/supervise';

/** Set in the peer process the supervisor starts, so it runs the peer instead of supervising again. */
const CHILD_ENV = 'STARLING_PEER_SUPERVISED';

async function main(): Promise<number> {
  let opts: HeadlessOptions;
  try {
    opts = parseHeadlessArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof HeadlessUsageError)) throw e;
    console.error(`error: ${e.message}\n\n${HEADLESS_USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(HEADLESS_USAGE);
    return 0;
  }
  if (opts.restarts > 0 && process.env[CHILD_ENV] !== '1') {
    // The same command again as a child (same node flags, e.g. tsx's loader), restarted after a crash.
    return supervise(
      () => spawn(process.execPath, [...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, [CHILD_ENV]: '1' } }),
      { maxRestarts: opts.restarts, backoffMs: (n) => Math.min(30_000, 1000 * 2 ** (n - 1)), log: (line) => console.error(line) },
    );
  }
  // Loaded only in the process that runs the peer: the supervisor holds no WebRTC or TF.js.
  const { runPeer } = await import('./headless/run-peer');
  return runPeer(opts);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`headless peer failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
