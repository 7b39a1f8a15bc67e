/**
 * WebGPU for TF.js in Node, through Dawn (the optional `webgpu` package: Chromium's WebGPU
 * implementation built as a Node addon). A headless peer or a bench on a machine with a GPU then
 * trains on the same TF.js webgpu kernels as a browser tab, on Vulkan; without it Node has only wasm
 * (a CNN too, with the conv filter gradient of wasm-conv-grad.ts) and the plain-JS cpu backend.
 *
 * Node only: it loads a native addon. Call `enableNodeWebGpu()` before `selectBackend` /
 * `Trainer.create` with 'webgpu' in the order; it defines `navigator.gpu`, which is what TF.js's
 * webgpu backend looks for when it registers.
 */
import { TRAINING_DEFAULTS } from './config';
import { describeDevice, isSoftwareDevice, webGpu } from './device';

export type NodeWebGpu =
  | { ok: true; /** Adapter description (vendor / architecture / device / driver). */ adapter: string; software: boolean }
  | { ok: false; /** Why not, in words a terminal user can act on. */ reason: string };

export interface NodeWebGpuOptions {
  /** Dawn toggles, e.g. `['backend=vulkan']` or `['adapter=NVIDIA H200']`; see the `webgpu` package's README. */
  dawnFlags?: readonly string[];
  /** How long the adapter request may take; default `TRAINING_DEFAULTS.backendTimeoutMs`. */
  timeoutMs?: number;
  /** Module to load instead of 'webgpu' (tests). */
  moduleName?: string;
}

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

const NO_ADAPTER_HINT =
  'Dawn found no GPU adapter: install the GPU\'s Vulkan driver and the Vulkan loader (libvulkan1), or point VK_DRIVER_FILES at the driver\'s ICD json';

let installed: NodeWebGpu | undefined;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Puts `gpu` at `navigator.gpu`; Node 21+ already has a `navigator` object, Node 20 has none. */
function defineNavigatorGpu(gpu: unknown): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

/**
 * Makes WebGPU available to TF.js in this Node process when Dawn finds an adapter. Never throws: a
 * missing package, a platform without a build or a machine without a GPU driver is an
 * `{ ok: false, reason }` the caller reports as the webgpu attempt's reason. Idempotent.
 */
export async function enableNodeWebGpu(opts: NodeWebGpuOptions = {}): Promise<NodeWebGpu> {
  if (installed) return installed;
  if (webGpu()) return (installed = { ok: true, adapter: (await describeDevice('webgpu')) ?? 'unknown adapter', software: false });
  const timeoutMs = opts.timeoutMs ?? TRAINING_DEFAULTS.backendTimeoutMs;
  let dawn: DawnModule;
  try {
    // A variable specifier keeps bundlers and the type checker from requiring the optional package.
    const name = opts.moduleName ?? 'webgpu';
    dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (err) {
    return (installed = {
      ok: false,
      reason: `the optional package 'webgpu' (Dawn for Node) could not be loaded (${errorText(err)}); npm installs it where a build exists (linux x64/arm64, macOS, Windows)`,
    });
  }
  let gpu: { requestAdapter(o?: object): Promise<unknown> };
  try {
    gpu = dawn.create([...(opts.dawnFlags ?? [])]) as typeof gpu;
  } catch (err) {
    return (installed = { ok: false, reason: `Dawn could not start: ${errorText(err)}` });
  }
  let adapter: unknown;
  try {
    adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs, 'requestAdapter()');
  } catch (err) {
    return (installed = { ok: false, reason: `${NO_ADAPTER_HINT} (${errorText(err)})` });
  }
  if (!adapter) return (installed = { ok: false, reason: NO_ADAPTER_HINT });
  // TF.js's webgpu backend reads GPUBufferUsage, GPUMapMode, ... as globals, as in a browser.
  for (const [key, value] of Object.entries(dawn.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  defineNavigatorGpu(gpu);
  const description = (await describeDevice('webgpu')) ?? 'unknown adapter';
  return (installed = { ok: true, adapter: description, software: isSoftwareDevice(description) });
}
