import { test } from '@playwright/test';
import type { AlgorithmName } from '@starling/core';
import { ALGORITHM_NAMES } from '@starling/protocol';
import { LINK_PROFILES, type LinkProfileName } from '@starling/transport';
import { readdirSync, readFileSync } from 'node:fs';
import { launchChromium } from '../support/chromium';
import { setRunPaused, startServer } from '../support/server';
import { closeAll, joinVolunteer, status, waitForSwarm, type Volunteer } from '../support/swarm';

/**
 * Where the CPU goes while 4 tabs train (one slowed 4x), by process and thread: every Chromium
 * process's threads are read from /proc (Linux only) over a window after a warm-up. Tells the
 * gradients (the training worker, DedicatedWorker) from what frames cost (the page's main thread,
 * WebRTC's network thread, the IPC threads, the network service).
 *
 *   npx playwright test --config playwright.bench.config.ts e2e/bench/threads.bench.ts
 *
 * Environment (all optional):
 *   BENCH_RUNS=rfast:1,rfast,solo        algorithm[:sendShare] per run (R-FAST's algorithmOptions.sendShare; without one the
 *                                        runtime's default, DEFAULT_TUNING.defaultSendShare; 1: every slot)
 *   BENCH_COMPUTE_SHARE=0                the tabs' `?computeShare=` (the adaptive send budget's target, e.g. 0.9; default and 0: off)
 *   BENCH_PROFILE=loopback               link profile
 *   BENCH_WARM_S=12, BENCH_WINDOW_S=15   warm-up after resuming, then the measured window
 *   BENCH_BLOCK=4096                     the run's blockSize (parameters per frame; default: the config's)
 */

const TOKEN = 'bench-owner-token-0123456789';
const RUNS = (process.env.BENCH_RUNS ?? 'rfast:1,rfast,solo').split(',');
const COMPUTE_SHARE = process.env.BENCH_COMPUTE_SHARE;
const PROFILE = (process.env.BENCH_PROFILE ?? 'loopback') as LinkProfileName;
if (!(PROFILE in LINK_PROFILES)) throw new Error(`BENCH_PROFILE: unknown profile '${PROFILE}'`);
const WARM_MS = Number(process.env.BENCH_WARM_S ?? 12) * 1000;
const WINDOW_MS = Number(process.env.BENCH_WINDOW_S ?? 15) * 1000;
const BLOCK = process.env.BENCH_BLOCK === undefined ? {} : { blockSize: Number(process.env.BENCH_BLOCK) };
/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const HZ = 100;

/** 'renderer', 'gpu-process', 'utility:NetworkService', 'browser' or 'node'; '' for other processes. */
function processKind(pid: string): string {
  // Chromium rewrites a child's command line with spaces for NULs.
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
  if (/node$/.test(cmd[0] ?? '')) return 'node';
  if (!/chrom|headless_shell/.test(cmd[0] ?? '')) return '';
  const type = cmd.find((c) => c.startsWith('--type='))?.slice(7) ?? 'browser';
  const sub = cmd.find((c) => c.startsWith('--utility-sub-type='))?.split('.').pop();
  return sub ? `${type}:${sub}` : type;
}

/** CPU ticks so far per "kind|thread name" (numbered threads folded into one name). */
function ticks(): Map<string, number> {
  const m = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const kind = processKind(pid);
      if (!kind) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/[0-9]+$/, '#');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${kind}|${name}`;
        m.set(key, (m.get(key) ?? 0) + Number(f[11]) + Number(f[12]));
      }
    } catch {
      // the process or thread ended while being read
    }
  }
  return m;
}

const per = (xs: number[], digits: number): string => xs.map((x) => x.toFixed(digits)).join(' ');

test('CPU by process and thread while tabs train', async () => {
  test.setTimeout(RUNS.length * (WARM_MS + WINDOW_MS + 180_000));
  const browser = await launchChromium();
  for (const run of RUNS) {
    const [name, sendShare] = run.split(':');
    if (!ALGORITHM_NAMES.includes(name as AlgorithmName)) throw new Error(`BENCH_RUNS: unknown algorithm '${name}'`);
    const algorithm = name as AlgorithmName;
    const server = await startServer({
      runId: `threads-${algorithm}-${sendShare ?? 'default'}`.replace(/[^\w.-]/g, '_'), algorithm, lr: 0.4, batchSize: 32,
      task: 'mnist-mlp', taskOptions: { hidden: [64] }, evalEverySteps: 0, snapshotIntervalMs: 0, seed: 1, network: PROFILE, ...BLOCK,
      ...(sendShare === undefined ? {} : { algorithmOptions: { sendShare: Number(sendShare) } }),
    }, { adminToken: TOKEN });
    await setRunPaused(server.url, TOKEN, true);
    const tabs: Volunteer[] = [];
    try {
      const budget = COMPUTE_SHARE === undefined ? '' : `&computeShare=${COMPUTE_SHARE}`;
      for (let i = 0; i < 4; i++) tabs.push(await joinVolunteer(browser, server.url, `tab${i}`, `?backends=wasm${i === 3 ? '&slowdown=4' : ''}${budget}`));
      await waitForSwarm(server.url, tabs, 'paused', algorithm === 'solo' ? 0 : 1, 90_000);
      await setRunPaused(server.url, TOKEN, false);
      await new Promise((r) => setTimeout(r, WARM_MS));
      const s0 = await Promise.all(tabs.map(status));
      const a = ticks();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const b = ticks();
      const secs = (Date.now() - t0) / 1000;
      const s1 = await Promise.all(tabs.map(status));
      const byThread = new Map<string, number>();
      const byKind = new Map<string, number>();
      for (const [key, v] of b) {
        const cores = (v - (a.get(key) ?? 0)) / HZ / secs;
        if (cores <= 0) continue;
        byThread.set(key, cores);
        const kind = key.split('|')[0];
        byKind.set(kind, (byKind.get(kind) ?? 0) + cores);
      }
      const rate = (f: (s: (typeof s0)[number]) => number) => s1.map((s, i) => (f(s) - f(s0[i])) / secs);
      console.log(`\n${run} on ${PROFILE}${budget}, ${secs.toFixed(1)} s after ${WARM_MS / 1000} s: steps/s per tab ${per(rate((s) => s.steps), 1)}; `
        + `kB/s sent ${per(rate((s) => s.bytesSent / 1000), 0)}; gradient share of wall time ${per(rate((s) => s.computeMs / 1000), 2)}; `
        + `send share ${s1.map((s) => s.sendShare?.toFixed(3) ?? '-').join(' ')}`);
      console.log(`cores by process: ${[...byKind].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
      console.log(`cores by thread: ${[...byThread].sort((x, y) => y[1] - x[1]).slice(0, 10).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('; ')}`);
    } finally {
      await closeAll(tabs);
      await server.stop();
    }
  }
  await browser.close();
});
