import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enableNodeWebGpu, type NodeWebGpu } from './node-webgpu';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

type FixtureResult = { gpu: NodeWebGpu; gaps: Record<string, number | string>; trial: { webgpu?: string; initialised: boolean } | null };

/** Runs the fixture in a fresh Node with `env` added and returns its JSON line. */
function child(env: Record<string, string>): FixtureResult {
  const r = spawnSync(join(root, 'node_modules/.bin/tsx'), [join(here, 'node-webgpu.fixture.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 170_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`the fixture printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line) as FixtureResult;
}

/** Debian's Chromium ships a Vulkan loader and SwiftShader's Vulkan driver: a GPU for any machine. */
function swiftShader(): { LD_LIBRARY_PATH: string; VK_ICD_FILENAMES: string } {
  const ensure = spawnSync('bash', [join(root, 'scripts/ensure-chromium.sh')], { encoding: 'utf8' });
  if (ensure.status !== 0) throw new Error(`scripts/ensure-chromium.sh failed: ${ensure.stderr}`);
  const bin = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const candidates = [dirname(realpathSync(bin)), '/usr/lib/chromium'];
  const dir = candidates.find((d) => existsSync(join(d, 'vk_swiftshader_icd.json')) && existsSync(join(d, 'libvulkan.so.1')));
  if (!dir) throw new Error(`no vk_swiftshader_icd.json + libvulkan.so.1 beside Chromium (looked in ${candidates.join(', ')})`);
  return { LD_LIBRARY_PATH: dir, VK_ICD_FILENAMES: join(dir, 'vk_swiftshader_icd.json') };
}

describe('WebGPU in Node through Dawn', () => {
  it('says why, without throwing, when the package cannot be loaded', async () => {
    const r = await enableNodeWebGpu({ moduleName: 'no-such-dawn-package' });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/optional package 'webgpu'.*could not be loaded/);
  });

  it('says why when no Vulkan driver answers', () => {
    const r = child({ VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    expect(r.gpu).toEqual({ ok: false, reason: expect.stringMatching(/no GPU adapter.*Vulkan/) });
  }, 60_000);

  it('trains a GRU and a CNN on TF.js webgpu with the gradients cpu computes', () => {
    // On SwiftShader, named as software. The GRU failed before its one-hot input was float32: an
    // int32 transpose shader fails WGSL validation and the gradient came out wrong.
    const r = child(swiftShader());
    expect(r.gpu).toMatchObject({ ok: true, software: true });
    expect(r.gaps.gru).toBeLessThan(1e-4);
    expect(r.gaps.cnn).toBeLessThan(1e-4);
    // Once wasm is timed, a software adapter is skipped on the platform's word alone: TF.js never
    // initialises webgpu on it (compiling shaders cost seconds per tab when four started together).
    expect(r.trial).toEqual({ webgpu: expect.stringMatching(/^not timed: a software adapter \(.*swiftshader/i), initialised: false });
  }, 180_000);
});
