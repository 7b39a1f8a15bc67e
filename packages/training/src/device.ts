/**
 * Best-effort description of the hardware behind the active backend, for logs and the UI. Every
 * probe is optional: browsers hide or drop these APIs, so failures yield `undefined`, never throw.
 */
import * as tf from './tf';

/** The few WebGPU members we read; the DOM lib that TypeScript ships does not declare WebGPU. */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** `navigator.gpu` when this context has WebGPU (browser, secure context, feature enabled). */
export function webGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu ?? undefined;
}

let adapterOnce: Promise<GpuAdapterLike | null> | undefined;

/**
 * One adapter request per page, shared by every probe: whether there is an adapter does not change
 * while the page lives, and with four tabs starting on two cores Chromium took up to 1.5 s to say
 * there is none. TF.js's webgpu backend still requests its own adapter and device.
 */
function requestAdapterOnce(): Promise<GpuAdapterLike | null> {
  const gpu = webGpu();
  if (!gpu) return Promise.resolve(null);
  adapterOnce ??= gpu.requestAdapter();
  return adapterOnce;
}

/** Starts the adapter request now, so that its answer is in by the time a backend needs it. */
export function prefetchGpuAdapter(): void {
  requestAdapterOnce().catch(() => {});
}

/**
 * Why WebGPU initialisation probably failed, for the attempt's reason; TF.js itself only logs it.
 * Undefined when an adapter is available (the failure lies elsewhere).
 */
export async function diagnoseWebGpu(): Promise<string | undefined> {
  try {
    const adapter = await requestAdapterOnce();
    return adapter
      ? undefined
      : 'navigator.gpu.requestAdapter() returned null: no usable GPU adapter (headless Chromium needs --enable-unsafe-webgpu; a blocklisted GPU or driver has none)';
  } catch (err) {
    return `navigator.gpu.requestAdapter() threw: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function joinInfo(info: GpuAdapterInfoLike): string | undefined {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  return parts.length ? parts.join(' / ') : undefined;
}

async function webGpuDevice(): Promise<string | undefined> {
  const adapter = await requestAdapterOnce();
  if (!adapter) return undefined;
  // Chromium >= 121 exposes `adapter.info`; older versions only the async `requestAdapterInfo()`.
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : undefined);
  return info ? joinInfo(info) : undefined;
}

function webGlDevice(): string | undefined {
  // MathBackendWebGL keeps its context at backend.gpgpu.gl; not part of the typed public API.
  const gl = (tf.backend() as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer: unknown = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  if (typeof renderer !== 'string' || renderer.length === 0) return undefined;
  // Half-float textures train with about 3 significant digits; worth knowing when results look off.
  const f32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  return f32 ? renderer : `${renderer} (float16 textures)`;
}

async function wasmDevice(): Promise<string> {
  const flag = async (name: string): Promise<boolean> => {
    try {
      return Boolean(await tf.env().getAsync(name));
    } catch {
      return false;
    }
  };
  const simd = await flag('WASM_HAS_SIMD_SUPPORT');
  const threads = await flag('WASM_HAS_MULTITHREAD_SUPPORT');
  // Threads need a cross-origin isolated page (COOP + COEP); the count is the pool TF.js started.
  const count = threads ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : 1;
  return `WebAssembly${simd ? ' SIMD' : ''}${threads ? ` multi-threaded (${count} threads)` : ' single-threaded'}`;
}

/**
 * The renderer of a throwaway WebGL context, without TF.js: enough to tell a software GPU apart for
 * the price of one context, where initialising TF.js's webgl backend compiles shaders (seconds per
 * tab on SwiftShader when several tabs start on two cores). Undefined outside a browser or when the
 * platform does not say.
 */
function probeWebGlRenderer(): string | undefined {
  const doc = (globalThis as { document?: { createElement(tag: 'canvas'): HTMLCanvasElement } }).document;
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : doc?.createElement('canvas');
  if (!canvas) return undefined;
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return undefined;
  try {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer: unknown = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return typeof renderer === 'string' && renderer.length > 0 ? renderer : undefined;
  } finally {
    // Browsers cap live contexts per page; this one must not count against TF.js's own.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/**
 * What a GPU backend would run on, asked of the platform directly (an adapter request, a throwaway
 * WebGL context) before TF.js initialises that backend. Undefined when it cannot tell; never throws.
 */
export async function probeGpuDevice(name: 'webgl' | 'webgpu'): Promise<string | undefined> {
  try {
    return name === 'webgpu' ? await webGpuDevice() : probeWebGlRenderer();
  } catch {
    return undefined;
  }
}

/** Describes the active backend's hardware, or undefined when the platform does not say. */
export async function describeDevice(name: string): Promise<string | undefined> {
  try {
    if (name === 'webgpu') return await webGpuDevice();
    if (name === 'webgl') return webGlDevice();
    if (name === 'wasm') return await wasmDevice();
    return undefined;
  } catch {
    return undefined;
  }
}

/** Adapters that emulate a GPU on the CPU: never to be called a GPU, and rarely worth using. */
const SOFTWARE_DEVICE = /swiftshader|llvmpipe|softpipe|lavapipe|basic render driver|software/i;

/** Whether an adapter / renderer description names a software GPU (SwiftShader, llvmpipe, ...). */
export function isSoftwareDevice(device: string | undefined): boolean {
  return device !== undefined && SOFTWARE_DEVICE.test(device);
}
