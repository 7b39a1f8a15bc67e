/** Synthetic sets for the tests (not exported from the package). */
import { Rng } from '@starling/core';
import { DataError, type DataErrorCode } from './errors';
import type { DataSet } from './set';

/**
 * A set whose image i starts with the bytes (i & 255, i >> 8 & 255), so a test can tell from pixels
 * alone which example it got; the rest of each image is seeded noise.
 */
export function syntheticSet(count: number, seed = 1, rows = 28, cols = 28, classes = 10): DataSet {
  const rng = new Rng(seed);
  const ppi = rows * cols;
  const images = new Uint8Array(count * ppi);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    for (let p = 2; p < ppi; p++) images[i * ppi + p] = rng.int(256);
    images[i * ppi] = i & 255;
    images[i * ppi + 1] = (i >> 8) & 255;
    labels[i] = rng.int(classes);
  }
  return { layout: 'examples', featureShape: [rows, cols, 1], features: images, targets: labels, count, classes };
}

/** Labels with exactly perClass examples of each of `classes` classes, in seeded order. */
export function balancedLabels(perClass: number, classes = 10, seed = 2): Uint8Array {
  const labels = new Uint8Array(perClass * classes);
  for (let i = 0; i < labels.length; i++) labels[i] = i % classes;
  const rng = new Rng(seed);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  return labels;
}

/** The DataError code `f` throws, 'no error', or 'other error' for anything that is not a DataError. */
export function codeOf(f: () => unknown): DataErrorCode | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof DataError ? e.code : 'other error';
  }
}
