/**
 * A zip of images in one folder per class (`<class>/<image>.png`, optionally inside one top
 * folder) -> an examples set at the model's input size. PNG only (decoded by pngjs after the
 * header's dimensions are checked), resized by nearest neighbour to [height, width, channels]
 * (1 channel: luma; 3: RGB), classes numbered in the sorted order of their folder names.
 */
import { PNG } from 'pngjs';
import type { DataSet } from '@starling/tasks';
import { UploadError } from './errors';
import type { ZipEntry } from './zip';

export interface ImageLimits {
  maxImageSide: number;
  maxClasses: number;
}

const PNG_SIGNATURE = '89504e470d0a1a0a';

function decode(e: ZipEntry, maxSide: number): PNG {
  const d = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  if (d.length < 24 || d.subarray(0, 8).toString('hex') !== PNG_SIGNATURE) throw new UploadError(`'${e.name.slice(0, 100)}' is not a PNG image (only PNG is read)`);
  const w = d.readUInt32BE(16);
  const h = d.readUInt32BE(20);
  if (w < 1 || h < 1 || w > maxSide || h > maxSide) throw new UploadError(`'${e.name.slice(0, 100)}' is ${w}x${h}; images may be at most ${maxSide}x${maxSide}`, 413);
  try {
    return PNG.sync.read(d);
  } catch (err) {
    throw new UploadError(`'${e.name.slice(0, 100)}' is a damaged PNG: ${(err as Error).message.slice(0, 100)}`);
  }
}

export function imageFolders(entries: readonly ZipEntry[], shape: readonly number[], limits: ImageLimits): { set: DataSet; classNames: string[] } {
  if (shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 3)) {
    throw new UploadError(`an image task needs a model whose input is [height, width, 1 or 3], this one takes [${shape.join(', ')}]`);
  }
  const [h, w, c] = shape;
  const files = entries.filter((e) => !e.name.split('/').some((s) => s.startsWith('.') || s === '__MACOSX'));
  if (files.length === 0) throw new UploadError('the zip holds no images');
  // One common top folder (zip of the data folder itself) is not a class level.
  const split = files.map((e) => e.name.split('/'));
  const strip = split.every((p) => p.length === 3 && p[0] === split[0][0]) ? 1 : 0;
  const classOf = split.map((p) => {
    if (p.length !== 2 + strip) throw new UploadError(`'${p.join('/').slice(0, 100)}' is not in a class folder: put each image in <class>/<image>.png`);
    return p[strip];
  });
  const classNames = [...new Set(classOf)].sort();
  if (classNames.length < 2) throw new UploadError(`the zip has ${classNames.length} class folder; a classifier needs at least 2`);
  if (classNames.length > limits.maxClasses) throw new UploadError(`the zip has ${classNames.length} class folders, more than the ${limits.maxClasses} allowed`);
  const size = h * w * c;
  const features = new Uint8Array(files.length * size);
  const targets = new Uint8Array(files.length);
  files.forEach((e, i) => {
    const img = decode(e, limits.maxImageSide);
    const out = i * size;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / h));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / w));
        const p = 4 * (sy * img.width + sx);
        const [r, g, b] = [img.data[p], img.data[p + 1], img.data[p + 2]];
        if (c === 1) features[out + y * w + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
        else features.set([r, g, b], out + 3 * (y * w + x));
      }
    }
    targets[i] = classNames.indexOf(classOf[i]);
  });
  return { set: { layout: 'examples', featureShape: [h, w, c], features, targets, count: files.length, classes: classNames.length }, classNames };
}
