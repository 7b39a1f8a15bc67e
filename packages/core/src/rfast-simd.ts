/**
 * R-FAST's WebAssembly SIMD kernels (source: rfast-wat.ts) and the memory they run on.
 *
 * A wasm kernel can only touch its own linear memory, so a peer that uses them keeps its whole
 * R-FAST state in one WebAssembly.Memory: a `KernelMemory` sized for one epoch's buffers, carved
 * by a bump allocator. A new epoch (new neighbour lists) gets a new memory; the old one is left to
 * the garbage collector, so a view handed out before (params() during an in-flight gradient) keeps
 * its values. Memories are never grown: growing would detach every view into them.
 *
 * The module is 4,031 bytes, under the 4 KB that Chromium allows to compile synchronously on the main
 * thread; a test keeps it there.
 */
import { ConfigError } from './errors';
import { RFAST_WASM_BASE64 } from './rfast-wasm';

/** Which kernels an R-FAST peer uses: 'auto' picks SIMD where available and worth it. */
export type KernelChoice = 'auto' | 'simd' | 'js';

/** The exports of the kernel module; pointers are byte offsets, n counts elements. */
export interface SimdExports {
  descendMix0(x: number, z: number, v: number, out: number, n: number, lr: number): void;
  descendMix1(x: number, z: number, v: number, out: number, a: number, n: number, lr: number, w: number): void;
  descendMix2(x: number, z: number, v: number, out: number, a: number, b: number, n: number, lr: number, w: number): void;
  descendMix3(x: number, z: number, v: number, out: number, a: number, b: number, c: number, n: number, lr: number, w: number): void;
  addScaled(out: number, e: number, n: number, w: number): void;
  consume1(z: number, an: number, at: number, n: number): void;
  consume2(z: number, an: number, at: number, bn: number, bt: number, n: number): void;
  consume3(z: number, an: number, at: number, bn: number, bt: number, cn: number, ct: number, n: number): void;
  track(z: number, g: number, grad: number, n: number, c: number): void;
  /** 1 when all n elements are finite, else 0. */
  finite32(p: number, n: number): number;
  finite64(p: number, n: number): number;
}

/** Block-sized buffers in a SIMD memory where received blocks are checked before they count. */
export interface SimdScratch {
  readonly k: SimdExports;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

const PAGE = 65536;
/** Every buffer starts on a 16-byte boundary: aligned v128 loads, and room for Float64Array views. */
const ALIGN = 16;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel module, or null where WebAssembly or its SIMD extension is missing. */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly === 'object' && typeof atob === 'function') {
      const bytes = Uint8Array.from(atob(RFAST_WASM_BASE64), (ch) => ch.charCodeAt(0));
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null; // e.g. a content security policy without 'wasm-unsafe-eval': plain JS works
  }
  return compiled;
}

/** Bytes one buffer of n elements takes in a KernelMemory, alignment included. */
export function alignedBytes(n: number, bytesPerElement: 4 | 8): number {
  return Math.ceil((n * bytesPerElement) / ALIGN) * ALIGN;
}

/**
 * Typed arrays for one epoch of a peer. With SIMD they are views into one wasm memory and
 * `exports` runs kernels on them; without, they are ordinary arrays and `exports` is null.
 */
export class KernelMemory {
  readonly exports: SimdExports | null;
  private readonly buffer: ArrayBuffer | null;
  private used = 0;

  private constructor(exports: SimdExports | null, buffer: ArrayBuffer | null) {
    this.exports = exports;
    this.buffer = buffer;
  }

  /** Memory for buffers taking `bytes` in all (sum of alignedBytes); SIMD unless `simd` is false. */
  static create(bytes: number, simd: boolean): KernelMemory {
    if (!simd) return new KernelMemory(null, null);
    const mod = kernelModule();
    if (mod === null) throw new ConfigError("WebAssembly SIMD is not available in this runtime; use kernels: 'js' or 'auto'");
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    const instance = new WebAssembly.Instance(mod, { env: { memory } });
    return new KernelMemory(instance.exports as unknown as SimdExports, memory.buffer);
  }

  f32(n: number): Float32Array {
    if (this.buffer === null) return new Float32Array(n);
    return new Float32Array(this.buffer, this.take(alignedBytes(n, 4)), n);
  }

  f64(n: number): Float64Array {
    if (this.buffer === null) return new Float64Array(n);
    return new Float64Array(this.buffer, this.take(alignedBytes(n, 8)), n);
  }

  private take(bytes: number): number {
    const at = this.used;
    if (at + bytes > (this.buffer as ArrayBuffer).byteLength) {
      throw new RangeError(`kernel memory exhausted: ${at + bytes} bytes asked of ${(this.buffer as ArrayBuffer).byteLength}`);
    }
    this.used += bytes;
    return at;
  }
}
