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

export function backendLabel(b: string | null): string {
  return b ? (BACKEND_LABEL[b] ?? b) : '—';
}

/** What the page promises before the volunteer joins. */
export function plannedBackendText(hasWebGpu: boolean): string {
  return hasWebGpu
    ? 'This browser offers WebGPU: training will run on your GPU.'
    : 'WebGPU is not available in this browser: training will fall back to WebGL, or to the CPU if WebGL fails too.';
}
