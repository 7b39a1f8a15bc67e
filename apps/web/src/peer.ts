import { DEFAULT_TUNING, lazyPageCompute, PeerRuntime, WorkerOrPageCompute, type Compute, type PeerRuntimeTuning, type PeerStatus } from '@starling/peer';
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { WASM_DIR } from '@starling/protocol';

declare global {
  interface Window {
    /** The running peer, for the e2e tests and for curious volunteers in the console. */
    starling?: PeerRuntime;
  }
}

/** Backend order: `?backends=wasm,cpu` overrides it (tests pin a tab to WebGPU this way). */
function backendOrder(): ('webgpu' | 'webgl' | 'wasm' | 'cpu')[] {
  const q = new URLSearchParams(location.search).get('backends');
  const all = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
  if (!q) return [...all];
  const picked = q.split(',').filter((b): b is (typeof all)[number] => (all as readonly string[]).includes(b));
  return picked.length > 0 ? picked : [...all];
}

/**
 * Threads of the wasm backend (used when the page is cross-origin isolated); `?threads=N`
 * overrides. With two cores or fewer, one: the single-threaded binary starts seconds sooner when
 * tabs share the cores and trained no slower on two (packages/training's backend.ts has the
 * figures). With more, every core up to 8 (not measured here: these machines have two).
 */
function wasmThreads(): number {
  const q = Number(new URLSearchParams(location.search).get('threads'));
  if (Number.isInteger(q) && q >= 1 && q <= 64) return q;
  const cores = navigator.hardwareConcurrency || 1;
  return cores <= 2 ? 1 : Math.min(8, cores);
}

/** `?slowdown=4` runs this tab 4x slower than it could (a straggler on purpose, or a lighter load). */
function slowdown(): number {
  const k = Number(new URLSearchParams(location.search).get('slowdown') ?? '1');
  return Number.isFinite(k) && k >= 1 && k <= 100 ? k : 1;
}

/**
 * `?computeShare=0.9` sets the share of its training time the tab's gradients aim at (the adaptive
 * send budget, packages/peer send-budget.ts); `?computeShare=0` turns the budget off (for comparing).
 */
function sendBudget(): Partial<PeerRuntimeTuning> {
  const q = new URLSearchParams(location.search).get('computeShare');
  const k = Number(q);
  if (q === null || !(k >= 0 && k < 1)) return {};
  return { sendBudget: { ...DEFAULT_TUNING.sendBudget, computeShareTarget: k } };
}

/**
 * TF.js in a dedicated worker, so a tab the volunteer switched away from keeps training;
 * `?compute=page` keeps it on the page (for comparing the two). A browser that cannot start the
 * worker trains on the page, and the page says so.
 */
function makeCompute(): Compute {
  if (new URLSearchParams(location.search).get('compute') === 'page') return lazyPageCompute;
  return new WorkerOrPageCompute(
    () => new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module', name: 'starling-training' }),
    lazyPageCompute,
    (line) => console.warn(`starling: ${line}`),
  );
}

let prepared: Compute | null = null;

/**
 * Starts the training worker (its script and TF.js load) while the volunteer reads the page, so
 * the click does not wait for them; nothing runs on the device before the click.
 */
export function prepareCompute(): Compute {
  prepared ??= makeCompute();
  return prepared;
}

export function createPeerRuntime(onChange: (s: PeerStatus) => void, uploadCapBytesPerSec: number | null): PeerRuntime {
  const runtime = new PeerRuntime({
    serverUrl: location.origin,
    createPeer: (opts) => new SimplePeer(opts),
    backends: backendOrder(),
    backendOptions: { wasmPaths: WASM_DIR, wasmThreads: wasmThreads() },
    slowdown: slowdown(),
    tuning: sendBudget(),
    compute: prepareCompute(),
    uploadCapBytesPerSec,
    onChange,
  });
  window.starling = runtime;
  return runtime;
}
