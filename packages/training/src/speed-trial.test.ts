import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { isSoftwareDevice } from './device';
import { BackendError } from './errors';
import { createFastestTrainer } from './speed-trial';
import type { ModelSpec } from './spec';
import { Trainer } from './trainer';

const SPEC: ModelSpec = { kind: 'mlp', hidden: [16] };
const QUICK = { warmupSteps: 1, minSteps: 2, maxSteps: 4, measureMs: 50 };

describe('createFastestTrainer in Node (real TF.js)', () => {
  it('times every working candidate, trains on the fastest, and says why the others lost', async () => {
    const { trainer, trials } = await createFastestTrainer(SPEC, { backends: ['webgpu', 'webgl', 'wasm', 'cpu'], batchSize: 8, trial: { ...QUICK, timeCpu: true } });
    try {
      expect(trials.map((t) => t.name).sort()).toEqual(['cpu', 'wasm']);
      for (const t of trials) expect(t.stepsPerSec).toBeGreaterThan(0);
      const fastest = trials.reduce((a, b) => (b.stepsPerSec > a.stepsPerSec ? b : a));
      expect(trainer.backendReport?.backend).toBe(fastest.name);
      expect(tf.getBackend()).toBe(fastest.name);
      const report = trainer.backendReport!;
      expect(report.attempts.find((a) => a.name === 'webgpu')).toMatchObject({ ok: false });
      const loser = report.attempts.find((a) => a.ok && a.name !== fastest.name)!;
      expect(loser.reason).toContain(`slower than ${fastest.name}`);
      expect(loser.stepsPerSec).toBeGreaterThan(0);
      // The trainer is usable on the active backend.
      const out = new Float32Array(trainer.dim);
      const loss = await trainer.gradient(new Float32Array(trainer.dim).fill(0.01), new Float32Array(8 * 784), new Int32Array(8), 8, out);
      expect(Number.isFinite(loss)).toBe(true);
    } finally {
      await trainer.dispose();
    }
  });

  it('leaves cpu untried while a faster backend works, and uses it when nothing else does', async () => {
    const first = await createFastestTrainer(SPEC, { backends: ['wasm', 'cpu'], batchSize: 8, trial: QUICK });
    expect(first.trainer.backendReport?.backend).toBe('wasm');
    expect(first.trainer.backendReport?.attempts.find((a) => a.name === 'cpu')).toMatchObject({ ok: false, reason: expect.stringMatching(/not tried/) });
    await first.trainer.dispose();
    const second = await createFastestTrainer(SPEC, { backends: ['webgl', 'cpu'], batchSize: 8, trial: QUICK });
    expect(second.trainer.backendReport?.backend).toBe('cpu');
    expect(second.trials).toHaveLength(1);
    await second.trainer.dispose();
    // A candidate after the winner that fails leaves the winner active.
    const third = await createFastestTrainer(SPEC, { backends: ['cpu', 'webgl'], batchSize: 8, trial: { ...QUICK, timeCpu: true } });
    expect(tf.getBackend()).toBe(third.trainer.backendReport?.backend);
    await third.trainer.dispose();
  });

  it('times wasm for minSteps only when nothing could beat it, and fully when something might', async () => {
    const long = { warmupSteps: 1, minSteps: 2, maxSteps: 12, measureMs: 600_000 };
    const calls = vi.spyOn(Trainer.prototype, 'gradient');
    try {
      // No rival: cpu is the untimed last resort, so wasm's figure decides nothing.
      const alone = await createFastestTrainer(SPEC, { backends: ['wasm', 'cpu'], batchSize: 8, trial: long });
      expect(calls).toHaveBeenCalledTimes(long.warmupSteps + long.minSteps);
      await alone.trainer.dispose();
      calls.mockClear();
      // A rival that is timed too (cpu, on request): wasm is timed up to maxSteps.
      const raced = await createFastestTrainer(SPEC, { backends: ['wasm', 'cpu'], batchSize: 8, trial: { ...long, timeCpu: true } });
      expect(calls.mock.calls.length).toBeGreaterThanOrEqual(long.warmupSteps + long.maxSteps);
      await raced.trainer.dispose();
    } finally {
      calls.mockRestore();
    }
  });

  it('throws BackendError listing every failure when no candidate works', async () => {
    const err = await createFastestTrainer(SPEC, { backends: ['webgpu', 'webgl'], batchSize: 8, trial: QUICK }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).attempts.map((a) => a.name)).toEqual(['webgpu', 'webgl']);
  });
});

describe('isSoftwareDevice', () => {
  it('names the CPU-emulated adapters seen in headless Chromium and Linux VMs', () => {
    expect(isSoftwareDevice('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareDevice('google / swiftshader')).toBe(true);
    expect(isSoftwareDevice('llvmpipe (LLVM 15.0.7, 256 bits)')).toBe(true);
    expect(isSoftwareDevice('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)')).toBe(false);
    expect(isSoftwareDevice('nvidia / ampere')).toBe(false);
    expect(isSoftwareDevice(undefined)).toBe(false);
  });
});
