/**
 * One headless peer in this process (apps/cli/src/peer.ts starts it, under the supervisor unless
 * --restarts 0): the browser's peer runtime with @roamhq/wrtc, status lines, the watchdog.
 */
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import { PeerRuntime, type CreatePeer, type RtcPeer } from '@starling/peer';
import { enableNodeWebGpu } from '@starling/training/node';
import type { HeadlessOptions } from './options';
import { statusText } from './status-line';
import { startWatchdog } from './watchdog';
import { hostileFactory } from '@starling/sim';

const createPeer: CreatePeer = (opts) => new SimplePeer(opts as unknown as SimplePeer.Options) as unknown as RtcPeer;

function report(opts: HeadlessOptions, runtime: PeerRuntime, toStderr = false): void {
  const s = runtime.status();
  (toStderr ? console.error : console.log)(opts.json ? JSON.stringify(s) : statusText(s));
}

/** One peer in this process, until a signal or a failure; resolves with the exit code. */
export async function runPeer(opts: HeadlessOptions): Promise<number> {
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
