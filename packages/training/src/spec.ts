/**
 * Model specs and the flat-vector layout they imply. Pure TypeScript (no TF.js): the simulator and
 * the wire layer can size vectors and draw x0 without loading a tensor library. A spec is plain
 * JSON: the server sends it to every peer inside the run's task, and every peer builds the same
 * model from it.
 */
import { IMAGE_SIDE, NUM_CLASSES } from './config';
import { ModelSpecError } from './errors';
import { layersLayout, type LayersSpec } from './layers-spec';

/** Fully connected net: inputSize -> hidden[0] -> ... -> classes, ReLU between, logits out. */
export interface MlpSpec {
  kind: 'mlp';
  hidden: readonly number[];
  /** Floats per example (default 784, a 28x28 image given flat). */
  inputSize?: number;
  /** Logits out (default 10). */
  classes?: number;
}

/**
 * Small conv net on images given flat: per entry of `filters` a `kernelSize` x `kernelSize` 'same'
 * convolution with ReLU followed by 2x2 max pooling (28 -> 14 -> 7 ...), then the `dense` ReLU
 * layers, then `classes` logits.
 */
export interface CnnSpec {
  kind: 'cnn';
  filters: readonly number[];
  kernelSize: number;
  dense: readonly number[];
  /** [height, width, channels] (default [28, 28, 1]). */
  image?: readonly [number, number, number];
  classes?: number;
}

/**
 * Character-level language model: each example is `length` token ids in 0..vocab-1 (one-hot
 * encoded inside the model's graph), then stacked recurrent layers with `units` cells each, then a
 * dense layer to `vocab` logits at every position: the prediction of the next token.
 */
export interface RnnSpec {
  kind: 'rnn';
  cell: 'gru' | 'lstm';
  vocab: number;
  length: number;
  units: readonly number[];
}

export type ModelSpec = MlpSpec | CnnSpec | RnnSpec | LayersSpec;

/** What the model's output means, and so its loss and metrics. */
export type Objective =
  /** Logits over `classes`; softmax cross-entropy; accuracy. */
  | { kind: 'classification'; classes: number }
  /** `outputs` real values; mean squared error. */
  | { kind: 'regression'; outputs: number }
  /** Logits over `classes` at each of `length` positions; cross-entropy per token; accuracy per token. */
  | { kind: 'sequence'; classes: number; length: number };

/** How a batch reaches the model and what it is scored against. */
export interface ModelIO {
  /** Floats per example in a batch buffer. */
  inputSize: number;
  /** 'dense': the floats are the input; 'one-hot': they are token ids, one-hot encoded in the graph. */
  encoding: 'dense' | 'one-hot';
  /** Shape of one example as the model takes it ('dense' only; e.g. [784] or [28, 28, 1]). */
  modelInput: readonly number[];
  /** Targets per example (1, or `length` for a sequence). */
  targetSize: number;
  objective: Objective;
}

/** One weight tensor's place in the flat vector. Order = the Keras model's `trainableWeights`. */
export interface WeightEntry {
  /** Our stable name, e.g. `dense1/kernel`; not TF.js's auto-generated layer name. */
  name: string;
  /** How x0 draws it: Glorot-uniform kernels, zero biases. */
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
  for (let i = 0; i < sizes.length; i++) checkSize(`${what}[${i}]`, sizes[i]);
}

function checkSize(what: string, s: unknown, min = 1): void {
  if (!Number.isInteger(s) || (s as number) < min) {
    throw new ModelSpecError(`${what} = ${String(s)}: must be an integer >= ${min}`);
  }
}

function imageOf(spec: CnnSpec): readonly [number, number, number] {
  return spec.image ?? [IMAGE_SIDE, IMAGE_SIDE, 1];
}

/** Throws ModelSpecError with the offending field if the spec cannot be built. */
export function validateSpec(spec: ModelSpec): void {
  if (spec === null || typeof spec !== 'object') throw new ModelSpecError('a model spec must be an object');
  switch (spec.kind) {
    case 'mlp':
      checkSizes('mlp.hidden', spec.hidden, true);
      if (spec.inputSize !== undefined) checkSize('mlp.inputSize', spec.inputSize);
      if (spec.classes !== undefined) checkSize('mlp.classes', spec.classes, 2);
      return;
    case 'cnn': {
      checkSizes('cnn.filters', spec.filters, false);
      checkSizes('cnn.dense', spec.dense, true);
      if (spec.classes !== undefined) checkSize('cnn.classes', spec.classes, 2);
      const [h, w, c] = imageOf(spec);
      checkSizes('cnn.image', [h, w, c], false);
      const k = spec.kernelSize;
      if (!Number.isInteger(k) || k < 1 || k > Math.min(h, w)) {
        throw new ModelSpecError(`cnn.kernelSize = ${String(k)}: must be an integer in 1..${Math.min(h, w)}`);
      }
      if (Math.min(h, w) >> spec.filters.length < 1) {
        throw new ModelSpecError(
          `cnn.filters has ${spec.filters.length} conv blocks; each halves the ${Math.min(h, w)}px side, so at most ${Math.floor(Math.log2(Math.min(h, w)))} fit`,
        );
      }
      return;
    }
    case 'rnn':
      if (spec.cell !== 'gru' && spec.cell !== 'lstm') throw new ModelSpecError(`rnn.cell = ${String(spec.cell)}: expected 'gru' or 'lstm'`);
      checkSize('rnn.vocab', spec.vocab, 2);
      checkSize('rnn.length', spec.length);
      checkSizes('rnn.units', spec.units, false);
      return;
    case 'layers':
      layersLayout(spec);
      return;
  }
  const kind = (spec as { kind?: unknown }).kind;
  throw new ModelSpecError(`unknown model kind ${JSON.stringify(kind)}: expected 'mlp', 'cnn', 'rnn' or 'layers'`);
}

/** Inputs, targets and objective of a spec. */
export function ioOf(spec: ModelSpec): ModelIO {
  validateSpec(spec);
  switch (spec.kind) {
    case 'mlp':
      return dense(spec.inputSize ?? IMAGE_SIDE * IMAGE_SIDE, { kind: 'classification', classes: spec.classes ?? NUM_CLASSES });
    case 'cnn': {
      const [h, w, c] = imageOf(spec);
      return dense(h * w * c, { kind: 'classification', classes: spec.classes ?? NUM_CLASSES });
    }
    case 'rnn':
      return { inputSize: spec.length, encoding: 'one-hot', modelInput: [spec.length, spec.vocab], targetSize: spec.length, objective: { kind: 'sequence', classes: spec.vocab, length: spec.length } };
    case 'layers':
      return dense(spec.inputShape.reduce((a, b) => a * b, 1), spec.objective, spec.inputShape);
  }
}

function dense(inputSize: number, objective: Objective, modelInput: readonly number[] = [inputSize]): ModelIO {
  return { inputSize, encoding: 'dense', modelInput, targetSize: 1, objective };
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
  const io = ioOf(spec);
  if (spec.kind === 'layers') return layersLayout(spec);
  const b = new LayoutBuilder();
  const classes = io.objective.kind === 'regression' ? io.objective.outputs : io.objective.classes;
  let features: number;
  let denseSizes: readonly number[];
  if (spec.kind === 'mlp') {
    features = io.inputSize;
    denseSizes = spec.hidden;
  } else if (spec.kind === 'cnn') {
    const k = spec.kernelSize;
    let [h, w, channels] = imageOf(spec);
    for (let i = 0; i < spec.filters.length; i++) {
      const out = spec.filters[i];
      b.add(`conv${i}/kernel`, 'kernel', [k, k, channels, out], k * k * channels, k * k * out);
      b.add(`conv${i}/bias`, 'bias', [out], k * k * channels, k * k * out);
      channels = out;
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
    features = h * w * channels;
    denseSizes = spec.dense;
  } else {
    // Keras order per recurrent layer: kernel [in, g*u], recurrent kernel [u, g*u], bias [g*u].
    const gates = spec.cell === 'gru' ? 3 : 4;
    let inputs = spec.vocab;
    for (let i = 0; i < spec.units.length; i++) {
      const u = spec.units[i];
      b.add(`${spec.cell}${i}/kernel`, 'kernel', [inputs, gates * u], inputs, gates * u);
      b.add(`${spec.cell}${i}/recurrent`, 'kernel', [u, gates * u], u, gates * u);
      b.add(`${spec.cell}${i}/bias`, 'bias', [gates * u], inputs, gates * u);
      inputs = u;
    }
    features = inputs;
    denseSizes = [];
  }
  for (let i = 0; i < denseSizes.length; i++) {
    b.dense(`dense${i}`, features, denseSizes[i]);
    features = denseSizes[i];
  }
  b.dense(`dense${denseSizes.length}`, features, classes);
  return { entries: b.entries, dim: b.dim };
}

/** A short human-readable name, e.g. `mlp-128` or `cnn-8x16-k3-d32`, for logs, caches and file names. */
export function specName(spec: ModelSpec): string {
  const suffix = (n: number | undefined, tag: string) => (n === undefined ? '' : `-${tag}${n}`);
  switch (spec.kind) {
    case 'mlp':
      return `mlp-${spec.hidden.join('-') || 'linear'}${suffix(spec.inputSize, 'in')}${suffix(spec.classes, 'c')}`;
    case 'cnn': {
      const dense = spec.dense.length ? `-d${spec.dense.join('-')}` : '';
      const image = spec.image ? `-i${spec.image.join('x')}` : '';
      return `cnn-${spec.filters.join('x')}-k${spec.kernelSize}${dense}${image}${suffix(spec.classes, 'c')}`;
    }
    case 'rnn':
      return `${spec.cell}-${spec.units.join('-')}-v${spec.vocab}-t${spec.length}`;
    case 'layers':
      return `layers-${spec.name}`;
  }
}
