/** Small display helpers for the contribute page. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${sec}s` : `${sec}s`;
}

const BACKEND_LABEL: Record<string, string> = {
  webgpu: 'GPU (WebGPU)',
  webgl: 'GPU (WebGL)',
  wasm: 'CPU (WebAssembly)',
  cpu: 'CPU (plain JavaScript)',
};

/** The backend in words; a software "GPU" (SwiftShader, llvmpipe) is named as the CPU it runs on. */
export function backendLabel(b: string | null, softwareGpu = false): string {
  if (!b) return '—';
  if (softwareGpu && (b === 'webgpu' || b === 'webgl')) return `CPU, emulating a GPU (${b === 'webgpu' ? 'WebGPU' : 'WebGL'} on a software adapter)`;
  return BACKEND_LABEL[b] ?? b;
}

/**
 * What the page says before the volunteer joins: only what it knows. Whether there is a GPU, and
 * whether it beats the CPU for this run's model, is measured after the click.
 */
export function plannedBackendText(hasWebGpu: boolean): string {
  return hasWebGpu
    ? 'This browser offers WebGPU. After you start, this tab times a few training steps on WebGPU, WebGL and WebAssembly and trains on whichever is fastest here (without a real GPU that is usually the CPU).'
    : 'This browser has no WebGPU. After you start, this tab times a few training steps on WebGL and WebAssembly and trains on whichever is fastest here.';
}

/** Measured speeds of the backends this tab timed, fastest first, e.g. "wasm 85.1, webgl 17.8 steps/s". */
export function measuredSpeedsText(attempts: readonly { name: string; stepsPerSec?: number }[]): string | null {
  const timed = attempts.filter((a): a is { name: string; stepsPerSec: number } => a.stepsPerSec !== undefined);
  if (timed.length === 0) return null;
  return `${[...timed].sort((a, b) => b.stepsPerSec - a.stepsPerSec).map((a) => `${a.name} ${a.stepsPerSec.toFixed(1)}`).join(', ')} steps/s`;
}

/** What a tab that has joined but not yet stepped is waiting for. */
export function preparingText(s: { phase: string; steps: number; activity: string | null; neighboursOpen: number; neighboursWanted: number }): string | null {
  if (s.activity !== null) return s.activity;
  if (s.phase !== 'training' || s.steps > 0) return null;
  const links = s.neighboursWanted > 0 ? `; ${s.neighboursOpen} of ${s.neighboursWanted} neighbour links open` : '';
  return `preparing the first step (building the model's kernels${links})`;
}
