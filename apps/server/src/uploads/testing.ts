/** Fixtures for the upload tests (not used by the server): models, CSVs, PNGs and zips made here. */
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { crc32, deflateRawSync } from 'node:zlib';

export interface SavedModel {
  modelJson: Uint8Array;
  weights: Uint8Array;
  weightsName: string;
}

/** A TF.js layers model saved as `model.save` would write it (model.json + one weights file). */
export async function saveModel(model: tf.LayersModel): Promise<SavedModel> {
  let out: SavedModel | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weightsName = 'group1-shard1of1.bin';
      const json = { modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [{ paths: [`./${weightsName}`], weights: a.weightSpecs }] };
      const data = a.weightData as ArrayBuffer;
      out = { modelJson: new TextEncoder().encode(JSON.stringify(json)), weights: new Uint8Array(data.slice(0)), weightsName };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return out!;
}

/** Dense net: `inputs` -> 8 relu -> `outputs` (logits unless `activation`). */
export function denseModel(inputs: number, outputs: number, activation?: 'softmax'): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [inputs] }), tf.layers.dense({ units: outputs, activation })] });
}

/** Small conv net on [side, side, channels] images -> `classes` logits. */
export function convModel(side: number, channels: number, classes: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [side, side, channels] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: classes }),
    ],
  });
}

/**
 * A separable table: `features` columns of noise, the label is the index of the largest of the
 * first `classes` columns (or their sum for regression).
 */
export function csvTable(rows: number, features: number, classes: number, regression = false, seed = 1): string {
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const lines = [[...Array.from({ length: features }, (_, i) => `x${i}`), 'y'].join(',')];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: features }, () => rand());
    const head = x.slice(0, classes);
    const y = regression ? head.reduce((a, b) => a + b, 0) : head.indexOf(Math.max(...head));
    lines.push([...x.map((v) => v.toFixed(4)), regression ? y.toFixed(4) : String(y)].join(','));
  }
  return lines.join('\n');
}

/** A grey PNG of `side` x `side`, class c drawn as a bright band at rows c*side/k.. (learnable). */
export function bandPng(side: number, c: number, classes: number, noise: number): Uint8Array {
  const png = new PNG({ width: side, height: side });
  const band = Math.floor(side / classes);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = (y >= c * band && y < (c + 1) * band ? 200 : 30) + ((x * 7 + y * 13 + noise) % 40);
      const p = 4 * (y * side + x);
      png.data[p] = png.data[p + 1] = png.data[p + 2] = v;
      png.data[p + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}

/** A zip (deflated entries unless `stored`) with the given names and bytes. */
export function makeZip(entries: { name: string; data: Uint8Array }[], stored = false): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = stored ? Buffer.from(e.data) : deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/** The multipart form of POST /api/tasks. */
export function uploadForm(f: { name?: string; kind: 'csv' | 'images'; labelColumn?: string; objective?: string; model: SavedModel; data: Uint8Array; dataName?: string }): FormData {
  const form = new FormData();
  form.set('name', f.name ?? 'my task');
  form.set('kind', f.kind);
  if (f.labelColumn !== undefined) form.set('labelColumn', f.labelColumn);
  if (f.objective !== undefined) form.set('objective', f.objective);
  form.set('model', new Blob([f.model.modelJson.slice()]), 'model.json');
  form.append('weights', new Blob([f.model.weights.slice()]), f.model.weightsName);
  form.set('data', new Blob([f.data.slice()]), f.dataName ?? (f.kind === 'csv' ? 'data.csv' : 'data.zip'));
  return form;
}
