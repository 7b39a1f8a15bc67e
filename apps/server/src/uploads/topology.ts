/**
 * Checks an uploaded Keras/TF.js topology (model.json's `modelTopology`) before TF.js ever builds
 * it: only a Sequential model of known layers, each layer's output shape and weights computed here
 * by hand, so an upload that would allocate a huge model is refused by its parameter count, not
 * discovered by running out of memory. The result is the layout the flat vector will have.
 */
import { UploadError } from './errors';

export interface CheckedTopology {
  /** Shape of one example (without the batch dimension). */
  inputShape: number[];
  /** Shape of the model's output for one example. */
  outputShape: number[];
  /** Trainable weights in TF.js's `trainableWeights` order (layer by layer, kernel then bias). */
  weights: { name: string; shape: number[] }[];
  params: number;
  /** The last layer's activation ('linear' when none). */
  outputActivation: string;
}

type Config = Record<string, unknown>;

const pair = (v: unknown, what: string, fallback?: [number, number]): [number, number] => {
  if (v === undefined && fallback) return fallback;
  const a = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(a) || a.length !== 2 || !a.every((x) => Number.isInteger(x) && x >= 1 && x <= 4096)) {
    throw new UploadError(`${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)?.slice(0, 60)}`);
  }
  return [a[0], a[1]];
};

const positive = (v: unknown, what: string, max: number): number => {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max) throw new UploadError(`${what} must be an integer in 1..${max}, got ${JSON.stringify(v)?.slice(0, 60)}`);
  return v as number;
};

function spatial(size: number, kernel: number, stride: number, padding: unknown, what: string): number {
  if (padding === 'same') return Math.ceil(size / stride);
  if (padding === 'valid' || padding === undefined) {
    const out = Math.floor((size - kernel) / stride) + 1;
    if (out < 1) throw new UploadError(`${what}: a ${kernel} window does not fit an input of ${size} without padding`);
    return out;
  }
  throw new UploadError(`${what}: padding ${JSON.stringify(padding)} is not supported (use 'same' or 'valid')`);
}

const ALLOWED = ['InputLayer', 'Dense', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'Reshape', 'Dropout', 'Activation', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D'];

/** Validates the topology; throws UploadError naming the layer and field at fault. */
export function checkTopology(topology: unknown, limits: { maxLayers: number; maxParams: number }): CheckedTopology {
  const t = topology as { class_name?: unknown; config?: unknown } | null;
  if (t === null || typeof t !== 'object') throw new UploadError('model.json has no modelTopology object: save the model with model.save() from TF.js or tensorflowjs_converter');
  if (t.class_name !== 'Sequential') throw new UploadError(`the model is a ${JSON.stringify(t.class_name)?.slice(0, 40)}; only Sequential models are supported`);
  const cfg = t.config as { layers?: unknown } | unknown[] | null;
  const layers = Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown } | null)?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new UploadError('the Sequential model lists no layers');
  if (layers.length > limits.maxLayers) throw new UploadError(`the model has ${layers.length} layers, more than the ${limits.maxLayers} allowed`, 413);
  let shape: number[] | null = null;
  const weights: CheckedTopology['weights'] = [];
  let params = 0;
  let activation = 'linear';
  const add = (name: string, s: number[]) => {
    const size = s.reduce((a, b) => a * b, 1);
    params += size;
    if (params > limits.maxParams) throw new UploadError(`the model has more than ${limits.maxParams} parameters (the limit); make it smaller`, 413);
    weights.push({ name, shape: s });
  };
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as { class_name?: unknown; config?: unknown };
    const kind = String(layer?.class_name);
    const c = (layer?.config ?? {}) as Config;
    const where = `layer ${i} (${kind.slice(0, 40)})`;
    if (!ALLOWED.includes(kind)) throw new UploadError(`${where} is not supported; supported layers: ${ALLOWED.join(', ')}`);
    if (shape === null) {
      const b = c.batch_input_shape ?? (c.batch_shape as unknown);
      if (!Array.isArray(b) || b.length < 2 || b[0] !== null || !b.slice(1).every((d) => Number.isInteger(d) && d >= 1 && d <= 65_536)) {
        throw new UploadError(`${where}: the first layer needs batch_input_shape [null, ...dims] with positive sizes, got ${JSON.stringify(b)?.slice(0, 80)}`);
      }
      shape = (b.slice(1) as number[]).map(Number);
      if (shape.reduce((a, d) => a * d, 1) > 1 << 22) throw new UploadError(`${where}: an input of ${shape.join('x')} values is too large`, 413);
    }
    if (c.data_format !== undefined && c.data_format !== 'channels_last') throw new UploadError(`${where}: data_format must be channels_last`);
    const useBias = c.use_bias !== false;
    switch (kind) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Activation':
        activation = String(c.activation);
        continue;
      case 'Dense': {
        const units = positive(c.units, `${where} units`, 65_536);
        const inputs = shape[shape.length - 1];
        add(`${i}/kernel`, [inputs, units]);
        if (useBias) add(`${i}/bias`, [units]);
        shape = [...shape.slice(0, -1), units];
        activation = String(c.activation ?? 'linear');
        continue;
      }
      case 'Conv2D': {
        if (shape.length !== 3) throw new UploadError(`${where} needs [height, width, channels] inputs, got [${shape.join(', ')}]`);
        const filters = positive(c.filters, `${where} filters`, 4096);
        const [kh, kw] = pair(c.kernel_size, `${where} kernel_size`);
        const [sh, sw] = pair(c.strides, `${where} strides`, [1, 1]);
        const [dh, dw] = pair(c.dilation_rate, `${where} dilation_rate`, [1, 1]);
        if (dh !== 1 || dw !== 1) throw new UploadError(`${where}: dilation is not supported`);
        add(`${i}/kernel`, [kh, kw, shape[2], filters]);
        if (useBias) add(`${i}/bias`, [filters]);
        shape = [spatial(shape[0], kh, sh, c.padding, where), spatial(shape[1], kw, sw, c.padding, where), filters];
        activation = String(c.activation ?? 'linear');
        continue;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (shape.length !== 3) throw new UploadError(`${where} needs [height, width, channels] inputs`);
        const [ph, pw] = pair(c.pool_size, `${where} pool_size`, [2, 2]);
        const [sh, sw] = c.strides === null || c.strides === undefined ? [ph, pw] : pair(c.strides, `${where} strides`);
        shape = [spatial(shape[0], ph, sh, c.padding, where), spatial(shape[1], pw, sw, c.padding, where), shape[2]];
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        if (shape.length !== 3) throw new UploadError(`${where} needs [height, width, channels] inputs`);
        shape = [shape[2]];
        break;
      case 'Flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'Reshape': {
        const target = c.target_shape;
        if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && d >= 1)) throw new UploadError(`${where}: target_shape must list positive sizes`);
        if (target.reduce((a: number, b: number) => a * b, 1) !== shape.reduce((a, b) => a * b, 1)) throw new UploadError(`${where}: cannot reshape [${shape.join(', ')}] to [${target.join(', ')}]`);
        shape = target.map(Number);
        break;
      }
    }
    activation = 'linear';
  }
  if (weights.length === 0) throw new UploadError('the model has no trainable weights');
  const first = layers[0] as { config?: Config };
  const b = (first.config?.batch_input_shape ?? first.config?.batch_shape) as (number | null)[];
  return { inputShape: b.slice(1) as number[], outputShape: shape!, weights, params, outputActivation: activation };
}
