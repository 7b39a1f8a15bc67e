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
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import { PeerRuntime, type CreatePeer, type RtcPeer } from '@starling/peer';
import { enableNodeWebGpu } from '@starling/training/node';
import { HEADLESS_USAGE, HeadlessUsageError, parseHeadlessArgs, type HeadlessOptions } from './headless/options';
import { statusText } from './headless/status-line';
import { startWatchdog } from './headless/watchdog';
import { hostileFactory } from '@starling/sim';

const createPeer: CreatePeer = (opts) => new SimplePeer(opts as unknown as SimplePeer.Options) as unknown as RtcPeer;

function report(opts: HeadlessOptions, runtime: PeerRuntime, toStderr = false): void {
  const s = runtime.status();
  (toStderr ? console.error : console.log)(opts.json ? JSON.stringify(s) : statusText(s));
}

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
  const stopWatchdog = startWatchdog(opts.hangSeconds);
  if (opts.backends.includes('webgpu')) {
    const gpu = await enableNodeWebGpu();
    if (gpu.ok) {
      console.log(`webgpu: ${gpu.adapter}${gpu.software ? ' (a software adapter, not a GPU)' : ''}`);
    } else {
      console.log(`webgpu: unavailable, ${gpu.reason}`);
      opts.backends = opts.backends.filter((b) => b !== 'webgpu');
      if (opts.backends.length === 0) {
        console.error('error: --backends named only webgpu, which is unavailable here; add wasm or cpu');
        return 1;
      }
    }
  }
  let failed = (): void => undefined;
  const failure = new Promise<void>((resolve) => (failed = resolve));
  const runtime = new PeerRuntime({
    serverUrl: opts.server,
    createPeer,
    wrtc,
    backends: opts.backends,
    slowdown: opts.slowdown,
    // Its own id is known only once it joins: the factory makes whoever it builds hostile.
    createAlgorithm: opts.attack === null ? undefined : (name, o) => hostileFactory({ kind: opts.attack as NonNullable<HeadlessOptions['attack']>, ids: [o.id] }, o.seed ?? 1)(name, o),
    onChange: (s) => {
      if (s.phase === 'error') failed();
    },
  });
  if (opts.attack !== null) console.error(`warning: this peer attacks the run (--attack ${opts.attack}); use it only to test a run's defences`);
  console.log(`joining ${opts.server} (backends ${opts.backends.join(', ')})`);
  const timer = opts.statusEverySeconds > 0 ? setInterval(() => report(opts, runtime), opts.statusEverySeconds * 1000) : null;
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await runtime.start();
  const outcome = await Promise.race([signalled, failure.then(() => null)]);
  if (timer) clearInterval(timer);
  if (outcome !== null) {
    console.log(`${outcome}: leaving the run`);
    await runtime.stop();
  }
  // A failure's last line (what happened and what to do) goes to stderr, where a script looks.
  report(opts, runtime, outcome === null);
  stopWatchdog();
  return outcome === null ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`headless peer failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
