import { PeerRuntime, type PeerStatus } from '@starling/peer';
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

/** `?slowdown=4` runs this tab 4x slower than it could (a straggler on purpose, or a lighter load). */
function slowdown(): number {
  const k = Number(new URLSearchParams(location.search).get('slowdown') ?? '1');
  return Number.isFinite(k) && k >= 1 && k <= 100 ? k : 1;
}

export function createPeerRuntime(onChange: (s: PeerStatus) => void, uploadCapBytesPerSec: number | null): PeerRuntime {
  const runtime = new PeerRuntime({
    serverUrl: location.origin,
    createPeer: (opts) => new SimplePeer(opts),
    backends: backendOrder(),
    // Every core for the wasm backend's threads (used when the page is cross-origin isolated).
    backendOptions: { wasmPaths: WASM_DIR, wasmThreads: Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1)) },
    slowdown: slowdown(),
    uploadCapBytesPerSec,
    onChange,
  });
  window.starling = runtime;
  return runtime;
}
