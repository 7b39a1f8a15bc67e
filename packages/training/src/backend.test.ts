import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './backend';
import { BackendError } from './errors';
import { compareWithReference, scaledMaxError, verifyActiveBackend } from './verify';

describe('selectBackend in Node', () => {
  it('falls past webgpu and webgl to a verified wasm or cpu backend, with reasons', async () => {
    const report = await selectBackend();
    expect(['wasm', 'cpu']).toContain(report.backend);
    expect(tf.getBackend()).toBe(report.backend);
    const [gpu, gl] = report.attempts;
    expect(gpu).toMatchObject({ name: 'webgpu', ok: false });
    expect(gpu.reason).toMatch(/navigator\.gpu/);
    expect(gl).toMatchObject({ name: 'webgl', ok: false });
    expect(gl.reason.length).toBeGreaterThan(10);
    const last = report.attempts[report.attempts.length - 1];
    expect(last).toMatchObject({ name: report.backend, ok: true });
    expect(report.attempts.filter((a) => a.ok)).toHaveLength(1);
  });

  it('activates wasm when asked (it works offline in Node) and reports its features', async () => {
    const report = await selectBackend(['wasm']);
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.device).toMatch(/WebAssembly/);
  });

  it('activates cpu when asked', async () => {
    const report = await selectBackend(['cpu']);
    expect(report).toMatchObject({ backend: 'cpu', attempts: [{ name: 'cpu', ok: true }] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('throws a BackendError listing every failure when nothing works', async () => {
    const err = await selectBackend(['webgpu', 'webgl']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const be = err as BackendError;
    expect(be.attempts.map((a) => a.name)).toEqual(['webgpu', 'webgl']);
    expect(be.attempts.every((a) => !a.ok)).toBe(true);
    expect(be.message).toMatch(/webgpu: .*navigator\.gpu/);
    expect(be.message).toMatch(/webgl: /);
  });

  it('rejects nonsense options', async () => {
    await expect(selectBackend(['cpu'], { tolerance: -1 })).rejects.toThrow(RangeError);
    await expect(selectBackend(['cpu'], { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });
});

describe('backend self-check', () => {
  it.each(['cpu', 'wasm'] as const)('passes on %s with a tiny error', async (name) => {
    await selectBackend([name]);
    const check = await verifyActiveBackend(1e-5);
    expect(check.ok).toBe(true);
    expect(check.maxRelError).toBeLessThan(1e-5);
  });

  it('compareWithReference catches wrong values, NaN and length mismatches', () => {
    const want = [1, -2, 30];
    expect(compareWithReference([1, -2, 30], want, 0).ok).toBe(true);
    const off = compareWithReference([1, -2, 30.3], want, 5e-3);
    expect(off).toMatchObject({ ok: false, worst: 2 });
    expect(off.maxRelError).toBeCloseTo(0.01, 6);
    expect(compareWithReference([1, NaN, 30], want, 1)).toMatchObject({ ok: false, worst: 1, maxRelError: Infinity });
    expect(compareWithReference([1, 1 / 0, 30], want, 1).ok).toBe(false);
    expect(compareWithReference([1, -2], want, 1).ok).toBe(false);
  });
});

describe('scaledMaxError', () => {
  it('measures a gradient gap on the reference scale, where a per-entry max(1, |want|) would hide it', () => {
    const want = new Float32Array([1e-4, -2e-4, 4e-4]);
    const got = new Float32Array([1e-4, -2e-4, 2e-4]);
    expect(scaledMaxError(got, want)).toBeCloseTo(0.5, 5);
    expect(compareWithReference(got, want, 1e-3).ok).toBe(true);
    expect(scaledMaxError(want, want)).toBe(0);
    expect(scaledMaxError(new Float32Array([Number.NaN, 0, 0]), want)).toBe(Infinity);
    expect(scaledMaxError(new Float32Array(2), want)).toBe(Infinity);
  });
});
