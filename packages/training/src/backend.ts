/**
 * Choosing the TF.js backend a peer trains on: try each candidate in order, and accept one only
 * after it has initialised AND computed a small dense layer correctly.
 *
 * Node: webgl always fails (no WebGL context), webgpu fails unless `enableNodeWebGpu()` found a GPU,
 * wasm loads its binary from node_modules, cpu always works. Only cpu is loaded up front (./tf);
 * every other backend's module is imported when it is first tried.
 *
 * Browser: the wasm backend fetches its binary at run time. Serve these three files from
 * `node_modules/@tensorflow/tfjs-backend-wasm/dist/` and pass their URL prefix as `wasmPaths`
 * (e.g. '/tfjs-wasm/'):
 *   - tfjs-backend-wasm.wasm                (no SIMD)
 *   - tfjs-backend-wasm-simd.wasm           (SIMD, every current browser)
 *   - tfjs-backend-wasm-threaded-simd.wasm  (only used when the page is cross-origin isolated)
 */
import * as tf from './tf';
import { TRAINING_DEFAULTS } from './config';
import { describeDevice, diagnoseWebGpu, isSoftwareDevice, webGpu } from './device';
import { BackendError } from './errors';
import { verifyActiveBackend } from './verify';
import { registerWasmConvGrad } from './wasm-conv-grad';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it failed, or what passed (e.g. the self-check error) when ok. */
  reason: string;
  /** Gradient steps per second of the run's model, when a speed trial timed it. */
  stepsPerSec?: number;
}

export interface BackendReport {
  /** The backend now active in TF.js. */
  backend: BackendName;
  /** Every backend tried, in order; the last one is the one that succeeded. */
  attempts: BackendAttempt[];
  /** Adapter / renderer description when the platform gives one. */
  device?: string;
  /** The "GPU" is emulated on the CPU (SwiftShader, llvmpipe): say so, never call it a GPU. */
  software?: boolean;
}

export type WasmBinaryName =
  | 'tfjs-backend-wasm.wasm'
  | 'tfjs-backend-wasm-simd.wasm'
  | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface SelectBackendOptions {
  /** Browser only: URL prefix (ending in '/') or per-file URLs of the wasm binaries. */
  wasmPaths?: string | Record<WasmBinaryName, string>;
  /**
   * Threads of the wasm backend when the page is cross-origin isolated (TF.js's own default is
   * half the cores, one thread on a 2-core machine). Applied before the first wasm start. 1 means
   * the single-threaded binary, with no pool of pthread workers at all: starting that pool cost
   * 1.2-3.2 s of a tab's start-up with four tabs on two cores (e2e/first-minute.spec.ts), and the
   * threaded binary trained no faster there (a tab alone: MLP 202 / 183 against 196 / 177 steps/s,
   * LeNet 19.5 / 19.6 against 19.6 / 18.5); asked for 2 threads, TF.js reported a pool of 1.
   */
  wasmThreads?: number;
  /** Relative tolerance of the self-check; default `TRAINING_DEFAULTS.verifyTolerance`. */
  tolerance?: number;
  /** Time allowed per backend (init + self-check); default `TRAINING_DEFAULTS.backendTimeoutMs`. */
  timeoutMs?: number;
}

/** Signals a timeout from `withTimeout`, so it can be told apart from a backend's own error. */
class Timeout extends Error {}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let wasmPathsApplied = false;
let wasmConvGradAdded = false;
let wasmStarted = false;

/** A page or a worker, where TF.js's webgl backend can make a context (it registers itself only there). */
function inBrowser(): boolean {
  return typeof (globalThis as { document?: unknown }).document !== 'undefined' || typeof OffscreenCanvas !== 'undefined';
}

/**
 * Makes sure `name` is registered with TF.js, loading its module on demand. Returns why it cannot
 * be, or null when it is ready to `setBackend`.
 */
async function register(name: BackendName, opts: SelectBackendOptions): Promise<string | null> {
  if (name === 'wasm') {
    // A repeated dynamic import is a cache hit; the paths only matter before the first wasm init.
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Once: a test that unregisters it to see a backend refused must not see it come back.
    if (!wasmConvGradAdded) {
      registerWasmConvGrad();
      wasmConvGradAdded = true;
    }
    if (opts.wasmPaths !== undefined && !wasmPathsApplied) {
      wasm.setWasmPaths(opts.wasmPaths);
      wasmPathsApplied = true;
    }
    const threads = opts.wasmThreads;
    // Only before the first start: TF.js reads the flag when it picks the binary to load.
    if (threads === 1 && !wasmStarted) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmStarted = true;
    if (threads !== undefined && Number.isInteger(threads) && threads >= 1) wasm.setThreadsCount(threads);
    return tf.findBackendFactory('wasm') ? null : 'the wasm module loaded but did not register a backend';
  }
  if (tf.findBackendFactory(name)) return null;
  switch (name) {
    case 'webgpu':
      // Checked before the import so Node (and browsers without WebGPU) never load the module.
      if (!webGpu()) {
        return 'navigator.gpu is missing: not a browser, not a secure context (use https or http://localhost), or WebGPU disabled (headless Chromium needs --enable-unsafe-webgpu)';
      }
      {
        // Chromium exposes navigator.gpu even where it has no adapter (headless without
        // --enable-unsafe-webgpu, a blocklisted driver): ask for one before fetching and parsing
        // the backend's module (300 KB), which four tabs starting together on two cores feel.
        const noAdapter = await withTimeout(diagnoseWebGpu(), opts.timeoutMs ?? TRAINING_DEFAULTS.backendTimeoutMs).catch((e: unknown) => `navigator.gpu.requestAdapter() ${errorText(e)}`);
        if (noAdapter) return noAdapter;
      }
      await import('@tensorflow/tfjs-backend-webgpu');
      return tf.findBackendFactory('webgpu') ? null : 'the webgpu module loaded but did not register a backend';
    case 'webgl':
      if (!inBrowser()) return 'no WebGL outside a browser (Node has no WebGL context)';
      await import('@tensorflow/tfjs-backend-webgl');
      return tf.findBackendFactory('webgl') ? null : 'the webgl module loaded but did not register a backend';
    case 'cpu':
      return 'the cpu backend is not registered; import @tensorflow/tfjs (not only tfjs-core)';
  }
}

/** Best guess at the cause of a failed initialisation; TF.js only logs the real one. */
async function whyInitFailed(name: BackendName, opts: SelectBackendOptions, timeoutMs: number): Promise<string> {
  if (name === 'webgpu') {
    const why = await withTimeout(diagnoseWebGpu(), timeoutMs).catch(() => undefined);
    if (why) return why;
  }
  if (name === 'wasm') {
    const where = opts.wasmPaths === undefined ? 'no wasmPaths given, so next to the bundle' : JSON.stringify(opts.wasmPaths);
    return `the wasm binary could not be fetched or compiled; it was looked for at ${where} (serve the tfjs-backend-wasm*.wasm files there)`;
  }
  return 'initialisation failed (TF.js logged the cause as a console warning)';
}

/** One attempt: register, switch, self-check. Returns null on success, else the reason it failed. */
async function tryBackend(name: BackendName, tol: number, timeoutMs: number, opts: SelectBackendOptions): Promise<string | null> {
  const missing = await register(name, opts);
  if (missing) return missing;
  let switched: boolean;
  try {
    switched = await withTimeout(tf.setBackend(name), timeoutMs);
  } catch (err) {
    const hint = name === 'webgpu' ? ' (a hanging requestAdapter: try --enable-features=Vulkan)' : '';
    return err instanceof Timeout ? `initialisation ${errorText(err)}${hint}` : `tf.setBackend threw: ${errorText(err)}`;
  }
  if (!switched) return `tf.setBackend('${name}') returned false: ${await whyInitFailed(name, opts, timeoutMs)}`;
  if (tf.getBackend() !== name) return `tf.setBackend('${name}') succeeded but TF.js reports '${tf.getBackend()}' as active`;
  try {
    const check = await withTimeout(verifyActiveBackend(tol), timeoutMs);
    if (!check.ok) {
      return `self-check failed: entry ${check.worst} is off by ${check.maxRelError.toExponential(2)} relative (tolerance ${tol}); its kernels compute wrong numbers`;
    }
  } catch (err) {
    return `self-check ${err instanceof Timeout ? errorText(err) : `threw: ${errorText(err)}`}`;
  }
  return null;
}

/**
 * Activates the first backend of `order` that initialises and passes the self-check. Call once at
 * start-up, before building models: tensors do not move between backends. Throws BackendError,
 * listing every failure, when none works.
 */
export async function selectBackend(
  order: readonly BackendName[] = TRAINING_DEFAULTS.backendOrder,
  opts: SelectBackendOptions = {},
): Promise<BackendReport> {
  const tol = opts.tolerance ?? TRAINING_DEFAULTS.verifyTolerance;
  const timeoutMs = opts.timeoutMs ?? TRAINING_DEFAULTS.backendTimeoutMs;
  if (!(tol >= 0) || !(timeoutMs > 0)) {
    throw new RangeError(`selectBackend: tolerance must be >= 0 and timeoutMs > 0 (got ${tol}, ${timeoutMs})`);
  }
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    let reason: string | null;
    try {
      reason = await tryBackend(name, tol, timeoutMs, opts);
    } catch (err) {
      // A backend module that fails to load (say, a lazily fetched chunk the server lacks) is a fallback too.
      reason = `could not load: ${errorText(err)}`;
    }
    if (reason === null) {
      attempts.push({ name, ok: true, reason: 'initialised and passed the self-check' });
      const device = await withTimeout(describeDevice(name), timeoutMs).catch(() => undefined);
      return device === undefined ? { backend: name, attempts, software: false } : { backend: name, attempts, device, software: isSoftwareDevice(device) };
    }
    attempts.push({ name, ok: false, reason });
  }
  throw backendFailure(order, attempts);
}

/** The BackendError for a list of failed attempts (also used when a later check rejects a backend). */
export function backendFailure(order: readonly BackendName[], attempts: readonly BackendAttempt[]): BackendError {
  const lines = attempts.map((a) => `  ${a.name}: ${a.reason}`).join('\n');
  return new BackendError(
    `no usable TF.js backend among [${order.join(', ')}]:\n${lines || '  (empty backend list)'}\nAdd 'cpu' to the list as a last resort.`,
    attempts,
  );
}
