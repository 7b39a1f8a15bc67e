/**
 * Model specs and the flat-vector layout they imply. Pure TypeScript (no TF.js): the simulator and
 * the wire layer can size vectors and draw x0 without loading a tensor library.
 */
import { IMAGE_SIDE, INPUT_SIZE, NUM_CLASSES } from './config';
import { ModelSpecError } from './errors';

/** Fully connected net: 784 -> hidden[0] -> ... -> 10, ReLU between, logits out. */
export interface MlpSpec {
  kind: 'mlp';
  hidden: readonly number[];
}

/**
 * Small conv net: per entry of `filters` a `kernelSize` x `kernelSize` 'same' convolution with ReLU
 * followed by 2x2 max pooling (28 -> 14 -> 7 ...), then the `dense` ReLU layers, then 10 logits.
 */
export interface CnnSpec {
  kind: 'cnn';
  filters: readonly number[];
  kernelSize: number;
  dense: readonly number[];
}

export type ModelSpec = MlpSpec | CnnSpec;

/** One weight tensor's place in the flat vector. Order = the Keras model's `trainableWeights`. */
export interface WeightEntry {
  /** Our stable name, e.g. `dense1/kernel`; not TF.js's auto-generated layer name. */
  name: string;
  role: 'kernel' | 'bias';
  shape: readonly number[];
  offset: number;
  size: number;
  /** Glorot fan-in / fan-out (Keras convention: receptive field x channels for convolutions). */
  fanIn: number;
  fanOut: number;
}

export interface WeightLayout {
  entries: readonly WeightEntry[];
  /** Total parameter count: the length of every flat vector of this model. */
  dim: number;
}

function checkSizes(what: string, sizes: readonly number[], allowEmpty: boolean): void {
  if (!Array.isArray(sizes)) throw new ModelSpecError(`${what} must be an array of layer sizes`);
  if (!allowEmpty && sizes.length === 0) throw new ModelSpecError(`${what} must name at least one layer`);
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i];
    if (!Number.isInteger(s) || s < 1) {
      throw new ModelSpecError(`${what}[${i}] = ${String(s)}: layer sizes must be positive integers`);
    }
  }
}

/** Throws ModelSpecError with the offending field if the spec cannot be built. */
export function validateSpec(spec: ModelSpec): void {
  if (spec.kind === 'mlp') {
    checkSizes('mlp.hidden', spec.hidden, true);
    return;
  }
  if (spec.kind === 'cnn') {
    checkSizes('cnn.filters', spec.filters, false);
    checkSizes('cnn.dense', spec.dense, true);
    const k = spec.kernelSize;
    if (!Number.isInteger(k) || k < 1 || k > IMAGE_SIDE) {
      throw new ModelSpecError(`cnn.kernelSize = ${String(k)}: must be an integer in 1..${IMAGE_SIDE}`);
    }
    if (IMAGE_SIDE >> spec.filters.length < 1) {
      throw new ModelSpecError(
        `cnn.filters has ${spec.filters.length} conv blocks; each halves the ${IMAGE_SIDE}px side, so at most ${Math.floor(Math.log2(IMAGE_SIDE))} fit`,
      );
    }
    return;
  }
  const kind = (spec as { kind?: unknown }).kind;
  throw new ModelSpecError(`unknown model kind ${JSON.stringify(kind)}: expected 'mlp' or 'cnn'`);
}

class LayoutBuilder {
  readonly entries: WeightEntry[] = [];
  dim = 0;

  add(name: string, role: WeightEntry['role'], shape: number[], fanIn: number, fanOut: number): void {
    let size = 1;
    for (let i = 0; i < shape.length; i++) size *= shape[i];
    this.entries.push({ name, role, shape, offset: this.dim, size, fanIn, fanOut });
    this.dim += size;
  }

  dense(name: string, inputs: number, units: number): void {
    this.add(`${name}/kernel`, 'kernel', [inputs, units], inputs, units);
    this.add(`${name}/bias`, 'bias', [units], inputs, units);
  }
}

/** The flat layout of a spec's parameters, in the order TF.js lists the model's weights. */
export function layoutOf(spec: ModelSpec): WeightLayout {
  validateSpec(spec);
  const b = new LayoutBuilder();
  let features: number;
  let denseSizes: readonly number[];
  if (spec.kind === 'mlp') {
    features = INPUT_SIZE;
    denseSizes = spec.hidden;
  } else {
    const k = spec.kernelSize;
    let channels = 1;
    let side = IMAGE_SIDE;
    for (let i = 0; i < spec.filters.length; i++) {
      const out = spec.filters[i];
      b.add(`conv${i}/kernel`, 'kernel', [k, k, channels, out], k * k * channels, k * k * out);
      b.add(`conv${i}/bias`, 'bias', [out], k * k * channels, k * k * out);
      channels = out;
      side = Math.floor(side / 2);
    }
    features = side * side * channels;
    denseSizes = spec.dense;
  }
  for (let i = 0; i < denseSizes.length; i++) {
    b.dense(`dense${i}`, features, denseSizes[i]);
    features = denseSizes[i];
  }
  b.dense(`dense${denseSizes.length}`, features, NUM_CLASSES);
  return { entries: b.entries, dim: b.dim };
}

/** A short human-readable name, e.g. `mlp-128` or `cnn-8x16-k3-d32`, for logs and file names. */
export function specName(spec: ModelSpec): string {
  if (spec.kind === 'mlp') return `mlp-${spec.hidden.join('-') || 'linear'}`;
  const dense = spec.dense.length ? `-d${spec.dense.join('-')}` : '';
  return `cnn-${spec.filters.join('x')}-k${spec.kernelSize}${dense}`;
}
