import { Worker } from 'node:worker_threads';

/**
 * A watchdog for the headless peer's event loop. WebRTC in Node is a native addon, and a native
 * call that never returns (node-webrtc has open reports of processes hanging around peer
 * connections) freezes the whole process: no steps, no status lines, no error, and a volunteer's
 * machine that contributes nothing without anyone noticing. The main thread stamps a shared clock
 * once a second; a worker thread, which keeps running while the main thread is stuck, checks the
 * stamp, and when it is older than the limit writes why to stderr (a direct write: the main
 * thread that would relay console output is the one that is stuck) and kills the process, so a
 * supervisor (systemd's Restart=, a shell loop) starts a fresh one.
 */

const BEAT_MS = 1000;

/** An ES module of its own (a data: URL), whatever loader or module mode the process runs under. */
const WATCHER = `
import { workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';
const beat = new Float64Array(workerData.shared);
setInterval(() => {
  const silent = Date.now() - beat[0];
  if (silent < workerData.limitMs) return;
  writeSync(2, 'watchdog: the event loop has been blocked for ' + Math.round(silent / 1000) + ' s (limit ' +
    Math.round(workerData.limitMs / 1000) + ' s; a native call that did not return?): killing this process so it can be restarted\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(1000, workerData.limitMs / 4));
`;

/** Starts the watchdog; the returned function stops it (on a clean exit). */
export function startWatchdog(limitSeconds: number): () => void {
  if (limitSeconds <= 0) return () => {};
  const shared = new SharedArrayBuffer(8);
  const beat = new Float64Array(shared);
  beat[0] = Date.now();
  const timer = setInterval(() => (beat[0] = Date.now()), BEAT_MS);
  timer.unref();
  const watcher = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WATCHER)}`), { workerData: { shared, limitMs: limitSeconds * 1000 } });
  // A watchdog that cannot run must not take the peer down with it.
  watcher.on('error', (e) => console.error(`watchdog: not running (${e.message})`));
  watcher.unref();
  return () => {
    clearInterval(timer);
    void watcher.terminate();
  };
}
