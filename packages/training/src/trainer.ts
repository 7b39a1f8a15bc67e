/**
 * The peer's local compute: loss and gradient of a minibatch at a given flat parameter vector, and
 * evaluation. Stateless between calls apart from the model's variables, which are overwritten at
 * the start of every call, so any algorithm can ask for a gradient at any point.
 */
import * as tf from './tf';
import {
  backendFailure,
  selectBackend,
  type BackendAttempt,
  type BackendName,
  type BackendReport,
  type SelectBackendOptions,
} from './backend';
import { TRAINING_DEFAULTS } from './config';
import { BackendError, TrainingError } from './errors';
import { firstNonFinite } from './finite';
import { checkBatch, inputTensor, oneHotFloat, TargetStager, type Images, type Labels } from './batch';
import { FlatParams, flattenTensors } from './flat';
import { heapView } from './heap';
import { missingKernels } from './kernels';
import { createModel } from './model';
import { ioOf, layoutOf, specName, type ModelIO, type ModelSpec, type WeightLayout } from './spec';

/** The few GPUDevice members the probe uses; TypeScript's DOM lib does not declare WebGPU. */
interface GpuDeviceLike {
  pushErrorScope(filter: 'validation' | 'internal' | 'out-of-memory'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/**
 * Runs `fn` with WebGPU error scopes open when the active backend is webgpu. A shader that fails
 * validation throws nothing in TF.js: the kernel is skipped and the numbers read back are wrong. The
 * scope turns that into an error, so the backend is refused instead of training on garbage.
 */
async function withGpuErrorScope<T>(fn: () => Promise<T>): Promise<T> {
  const device = tf.getBackend() === 'webgpu' ? (tf.backend() as { device?: GpuDeviceLike }).device : undefined;
  if (!device) return fn();
  const filters = ['validation', 'internal', 'out-of-memory'] as const;
  for (const f of filters) device.pushErrorScope(f);
  const outcome = await fn().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const errors: string[] = [];
  for (let i = 0; i < filters.length; i++) {
    const e = await device.popErrorScope();
    if (e) errors.push(e.message.split('\n')[0]);
  }
  if (errors.length > 0) throw new TrainingError(`the GPU refused a kernel: ${errors.join('; ')}`);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

export interface TrainerOptions {
  /** Run `selectBackend(backends)` first; without it the trainer uses whatever backend TF.js has active. */
  backends?: readonly BackendName[];
  backendOptions?: SelectBackendOptions;
  /** Default `TRAINING_DEFAULTS.evalBatchSize`. */
  evalBatchSize?: number;
  /** Default `TRAINING_DEFAULTS.pixelScale` (applied to Uint8Array images only). */
  pixelScale?: number;
  /** Default `TRAINING_DEFAULTS.rejectNonFinite`. */
  rejectNonFinite?: boolean;
}

interface Settings {
  evalBatchSize: number;
  pixelScale: number;
  rejectNonFinite: boolean;
}

function resolveSettings(opts: TrainerOptions): Settings {
  const evalBatchSize = opts.evalBatchSize ?? TRAINING_DEFAULTS.evalBatchSize;
  if (!Number.isInteger(evalBatchSize) || evalBatchSize < 1) {
    throw new TrainingError(`evalBatchSize must be a positive integer, got ${evalBatchSize}`);
  }
  const pixelScale = opts.pixelScale ?? TRAINING_DEFAULTS.pixelScale;
  if (!(pixelScale > 0) || !Number.isFinite(pixelScale)) {
    throw new TrainingError(`pixelScale must be a positive finite number, got ${pixelScale}`);
  }
  return { evalBatchSize, pixelScale, rejectNonFinite: opts.rejectNonFinite ?? TRAINING_DEFAULTS.rejectNonFinite };
}

export interface Evaluation {
  /**
   * Mean softmax cross-entropy per prediction (per example, or per token of a sequence); mean
   * squared error per output for regression.
   */
  loss: number;
  /** Fraction of predictions whose arg-max logit is the label; null for regression. */
  accuracy: number | null;
}

export class Trainer {
  /** Parameter count; every vector passed in or out has this length. */
  readonly dim: number;
  readonly layout: WeightLayout;
  /** What one example's input and targets are, and the loss. */
  readonly io: ModelIO;
  /** The backend TF.js had active when the trainer was built. */
  readonly backend: string;
  private readonly flat: FlatParams;
  private readonly targets = new TargetStager();
  private readonly tokens = new TargetStager();
  private disposed = false;
  private disposing: Promise<void> | undefined;
  /** Tail of the call queue: calls run one at a time, so an `evaluate` that awaits between batches
   * never sees parameters loaded by a `gradient` that started meanwhile. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly spec: ModelSpec,
    /** The Keras model; save it with `save()` so the weights are the ones you mean. */
    readonly model: tf.LayersModel,
    /** Present when the trainer chose the backend itself (`opts.backends`); a speed trial replaces it with what it measured. */
    public backendReport: BackendReport | undefined,
    private readonly evalBatchSize: number,
    private readonly pixelScale: number,
    private readonly rejectNonFinite: boolean,
  ) {
    this.layout = layoutOf(spec);
    this.io = ioOf(spec);
    this.dim = this.layout.dim;
    this.flat = new FlatParams(model, this.layout, rejectNonFinite);
    this.backend = tf.getBackend();
  }

  /**
   * Builds the model for `spec` and proves it trains: one gradient step on a dummy batch runs every
   * forward and backward kernel the spec needs (after checking the known list, `kernelsFor`). With
   * `opts.backends`, backends are tried in order and one that lacks a kernel (TF.js 4.22's wasm
   * backend lacks Conv2DBackpropFilter unless wasm-conv-grad.ts adds it, and that one takes stride 1
   * only) is skipped like one that fails to initialise. Without it the active backend
   * is used and a failed probe throws TrainingError.
   */
  static async create(spec: ModelSpec, opts: TrainerOptions = {}): Promise<Trainer> {
    const settings = resolveSettings(opts);
    layoutOf(spec); // validates the spec before any backend work
    if (!opts.backends) {
      await tf.ready();
      return Trainer.build(spec, undefined, settings);
    }
    const order = opts.backends;
    const attempts: BackendAttempt[] = [];
    let remaining = order;
    for (;;) {
      let report: BackendReport;
      try {
        report = await selectBackend(remaining, opts.backendOptions);
      } catch (err) {
        if (err instanceof BackendError) throw backendFailure(order, [...attempts, ...err.attempts]);
        throw err;
      }
      attempts.push(...report.attempts);
      try {
        return await Trainer.build(spec, { ...report, attempts }, settings);
      } catch (err) {
        if (!(err instanceof TrainingError)) throw err;
        attempts[attempts.length - 1] = { name: report.backend, ok: false, reason: err.message };
        remaining = remaining.slice(remaining.indexOf(report.backend) + 1);
      }
    }
  }

  private static async build(spec: ModelSpec, report: BackendReport | undefined, s: Settings): Promise<Trainer> {
    const backend = tf.getBackend();
    const missing = missingKernels(spec, backend);
    if (missing.length > 0) {
      throw new TrainingError(
        `the ${backend} backend cannot train ${specName(spec)}: it lacks the kernel(s) ${missing.join(', ')}; use another backend`,
      );
    }
    const model = await createModel(spec);
    try {
      const trainer = new Trainer(spec, model, report, s.evalBatchSize, s.pixelScale, s.rejectNonFinite);
      await trainer.probe();
      return trainer;
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  /**
   * One gradient on two blank examples, the backstop for kernels `missingKernels` does not know of.
   * Throws TrainingError naming the backend.
   */
  private async probe(): Promise<void> {
    const x = new Float32Array(this.dim);
    const out = new Float32Array(this.dim);
    try {
      await withGpuErrorScope(() => this.gradientNow(x, new Float32Array(2 * this.io.inputSize), new Float32Array(2 * this.io.targetSize), 2, out));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new TrainingError(`the ${this.backend} backend cannot train ${specName(this.spec)}: ${why}`);
    }
  }

  /** Runs `fn` after every earlier call has finished (successfully or not). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.disposed) throw new TrainingError('this Trainer has been disposed; create a new one');
      return fn();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Loads `x` (length `dim`) into the model. */
  setParams(x: Float32Array): Promise<void> {
    return this.exclusive(async () => this.flat.setParams(x));
  }

  /** Copies the model's parameters into `out` (length `dim`). */
  getParams(out: Float32Array): Promise<void> {
    return this.exclusive(() => this.flat.getParams(out));
  }

  /**
   * The loss (`Evaluation.loss`) of the first `batchSize` examples of (`xs`, `ys`) at parameters
   * `x`; its gradient goes into `out` (length `dim`), the loss is returned. `xs` holds
   * `io.inputSize` floats per example, `ys` `io.targetSize` targets. Throws TrainingError on bad arguments and, unless `rejectNonFinite` is off,
   * when the gradient or loss is NaN/Inf (diverged training); `out` is then unspecified.
   */
  gradient(x: Float32Array, xs: Float32Array, ys: Labels, batchSize: number, out: Float32Array): Promise<number> {
    return this.exclusive(() => this.gradientNow(x, xs, ys, batchSize, out));
  }

  private async gradientNow(x: Float32Array, xs: Float32Array, ys: Labels, batchSize: number, out: Float32Array): Promise<number> {
    checkBatch('gradient', this.io, xs, ys, batchSize);
    if (out.length !== this.dim) {
      throw new TrainingError(`gradient output has length ${out.length}, the model has ${this.dim} parameters`);
    }
    this.flat.setParams(x);
    const vars = this.flat.variables;
    const packed = tf.tidy(() => {
      const input = inputTensor(this.io, xs, 0, batchSize, this.pixelScale, this.tokens);
      const target = this.target(ys, 0, batchSize);
      const { value, grads } = tf.variableGrads(() => {
        const out = this.model.apply(input, { training: true }) as tf.Tensor;
        return this.loss(target, out, tf.Reduction.SUM_BY_NONZERO_WEIGHTS) as tf.Scalar;
      }, vars as tf.Variable[]);
      const ordered: tf.Tensor[] = [];
      for (const v of vars) ordered.push(grads[v.name]);
      // Gradient and loss in one tensor: a single device read-back per step.
      return flattenTensors(ordered, value);
    });
    let loss: number;
    try {
      // wasm: straight from the heap, no model-sized array per step (heap.ts).
      const data = heapView(packed) ?? (await packed.data<'float32'>());
      loss = data[this.dim];
      out.set(data.subarray(0, this.dim));
    } finally {
      packed.dispose();
    }
    if (this.rejectNonFinite) {
      const bad = Number.isFinite(loss) ? firstNonFinite(out) : this.dim;
      if (bad >= 0) {
        throw new TrainingError(
          `non-finite ${bad === this.dim ? `loss (${loss})` : `gradient at index ${bad}`}: training diverged; lower the step size`,
        );
      }
    }
    return loss;
  }

  /**
   * Mean loss and accuracy of the first `count` examples at parameters `x`, in batches of
   * `evalBatchSize`. Uint8Array inputs of a dense model are pixel bytes and get scaled by
   * `pixelScale` (token ids are not scaled).
   */
  evaluate(x: Float32Array, images: Images, labels: Labels, count: number): Promise<Evaluation> {
    return this.exclusive(() => this.evaluateNow(x, images, labels, count));
  }

  private async evaluateNow(x: Float32Array, images: Images, labels: Labels, count: number): Promise<Evaluation> {
    checkBatch('evaluate', this.io, images, labels, count);
    this.flat.setParams(x);
    const regression = this.io.objective.kind === 'regression';
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < count; start += this.evalBatchSize) {
      const n = Math.min(this.evalBatchSize, count - start);
      const pair = tf.tidy(() => {
        const out = this.model.apply(inputTensor(this.io, images, start, n, this.pixelScale, this.tokens)) as tf.Tensor;
        const y = this.target(labels, start, n);
        const sum = this.loss(y, out, tf.Reduction.SUM);
        if (regression) return tf.stack([sum, tf.scalar(0)]);
        const logits = this.logits(out);
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
        return tf.stack([sum, hits]);
      });
      try {
        const d = await pair.data<'float32'>();
        lossSum += d[0];
        correct += d[1];
      } finally {
        pair.dispose();
      }
    }
    const predictions = count * (regression ? 1 : this.io.targetSize);
    const outputs = this.io.objective.kind === 'regression' ? count * this.io.objective.outputs : predictions;
    return { loss: lossSum / outputs, accuracy: regression ? null : correct / predictions };
  }

  /**
   * The model's outputs for the first `count` examples at parameters `x`: logits (count x classes,
   * or count x length x classes for a sequence) or regression values, as one flat array.
   */
  predict(x: Float32Array, inputs: Images, count: number): Promise<Float32Array> {
    return this.exclusive(async () => {
      checkBatch('predict', this.io, inputs, new Float32Array(count * this.io.targetSize), count);
      this.flat.setParams(x);
      const out = tf.tidy(() => this.model.apply(inputTensor(this.io, inputs, 0, count, this.pixelScale, this.tokens)) as tf.Tensor);
      try {
        return await out.data<'float32'>();
      } finally {
        out.dispose();
      }
    });
  }

  /** Targets as the loss wants them: int32 labels (flat over positions) or float32 [n, outputs]. */
  private target(ys: Labels, start: number, n: number): tf.Tensor {
    return this.targets.tensor(this.io, ys, start, n);
  }

  /** Outputs as a 2-D [predictions, classes] logits matrix (a sequence's positions become rows). */
  private logits(out: tf.Tensor): tf.Tensor2D {
    const o = this.io.objective;
    return tf.reshape(out, [-1, o.kind === 'regression' ? o.outputs : o.classes]) as tf.Tensor2D;
  }

  /** Softmax cross-entropy per prediction, or squared error per output, reduced as asked. */
  private loss(target: tf.Tensor, out: tf.Tensor, reduction: tf.Reduction): tf.Tensor {
    const o = this.io.objective;
    if (o.kind === 'regression') return tf.losses.meanSquaredError(target, tf.reshape(out, target.shape), undefined, reduction);
    const labels = oneHotFloat(target as tf.Tensor1D, o.classes);
    return tf.losses.softmaxCrossEntropy(labels, this.logits(out), undefined, undefined, reduction);
  }

  /** Loads `x` and saves the model in TF.js format (`tf.loadLayersModel` reads it back). */
  save(x: Float32Array, destination: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    return this.exclusive(() => {
      this.flat.setParams(x);
      return this.model.save(destination);
    });
  }

  /** `tf.memory().numTensors`: constant across steps when nothing leaks. */
  numTensors(): number {
    return tf.memory().numTensors;
  }

  /** Frees the model's variables once pending calls finish; later calls reject. */
  dispose(): Promise<void> {
    this.disposing ??= this.exclusive(async () => {
      this.disposed = true;
      this.model.dispose();
    });
    return this.disposing;
  }
}
