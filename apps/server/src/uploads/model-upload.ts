/**
 * An uploaded TF.js layers model (`model.json` + its weight files, as `tf.loadLayersModel` reads
 * them): the topology checked by hand (./topology.ts), the weights manifest checked against it
 * (float32 only, one entry per trainable weight in order, exact byte sizes), every value finite.
 * The weights become the task's starting point x0, in the flat layout of `@starling/training`.
 */
import { UploadError } from './errors';
import { checkTopology, type CheckedTopology } from './topology';

export interface ModelLimits {
  maxModelJsonBytes: number;
  maxLayers: number;
  maxParams: number;
}

export interface UploadedModel {
  topology: unknown;
  checked: CheckedTopology;
  /** The uploaded weights as one flat vector (x0). */
  x0: Float32Array;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}

function parseManifest(m: unknown): { paths: string[]; weights: ManifestEntry[] }[] {
  if (!Array.isArray(m) || m.length === 0) throw new UploadError('model.json has no weightsManifest: save the model with its weights');
  return m.map((g, i) => {
    const group = g as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string') || !Array.isArray(group.weights)) {
      throw new UploadError(`weightsManifest[${i}] needs 'paths' (file names) and 'weights'`);
    }
    return { paths: group.paths as string[], weights: group.weights as ManifestEntry[] };
  });
}

/** The file name part of a manifest path ('./group1-shard1of1.bin' -> 'group1-shard1of1.bin'). */
function baseName(p: string): string {
  return p.split('/').pop() ?? p;
}

export function readUploadedModel(modelJson: Uint8Array, files: ReadonlyMap<string, Uint8Array>, limits: ModelLimits): UploadedModel {
  if (modelJson.length > limits.maxModelJsonBytes) throw new UploadError(`model.json is ${modelJson.length} bytes, over the ${limits.maxModelJsonBytes}-byte limit`, 413);
  let json: { modelTopology?: unknown; weightsManifest?: unknown };
  try {
    json = JSON.parse(Buffer.from(modelJson).toString('utf8'));
  } catch (e) {
    throw new UploadError(`model.json is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  if (json === null || typeof json !== 'object') throw new UploadError('model.json must be a JSON object');
  const checked = checkTopology(json.modelTopology, limits);
  const groups = parseManifest(json.weightsManifest);
  const entries = groups.flatMap((g) => g.weights);
  if (entries.length !== checked.weights.length) {
    throw new UploadError(`the weights manifest lists ${entries.length} tensors, the topology has ${checked.weights.length} trainable weights (non-trainable weights such as BatchNormalization statistics are not supported)`);
  }
  // Concatenate each group's files in order: that is how TF.js lays out the weight bytes.
  const chunks: Uint8Array[] = [];
  for (const g of groups) {
    for (const p of g.paths) {
      const f = files.get(baseName(p));
      if (f === undefined) throw new UploadError(`the weights file '${baseName(p).slice(0, 100)}' named in model.json was not uploaded`);
      chunks.push(f);
    }
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const want = checked.params * 4;
  const x0 = new Float32Array(checked.params);
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const expect = checked.weights[i].shape;
    if ((e.dtype ?? 'float32') !== 'float32' || e.quantization !== undefined) throw new UploadError(`weight ${i} (${String(e.name).slice(0, 60)}) is ${e.dtype ?? 'quantized'}; only unquantized float32 weights are supported`);
    if (!Array.isArray(e.shape) || e.shape.join('x') !== expect.join('x')) {
      throw new UploadError(`weight ${i} (${String(e.name).slice(0, 60)}) has shape [${String(e.shape)}], the topology needs [${expect.join(', ')}]`);
    }
    at += expect.reduce((a, b) => a * b, 1);
  }
  if (at !== checked.params || total !== want) throw new UploadError(`the weight files hold ${total} bytes; the model's ${checked.params} float32 parameters need exactly ${want} (truncated or wrong files?)`);
  const bytes = new Uint8Array(x0.buffer);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  for (let i = 0; i < x0.length; i++) {
    if (x0[i] - x0[i] !== 0) throw new UploadError(`weight value ${x0[i]} at flat index ${i}: the uploaded weights must be finite (no NaN or Infinity)`);
  }
  return { topology: json.modelTopology, checked, x0 };
}
