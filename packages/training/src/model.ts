/**
 * Building the TF.js model for a spec (x0 is in init.ts).
 */
import * as tf from './tf';
import { IMAGE_SIDE } from './config';
import { ModelSpecError } from './errors';
import { ioOf, validateSpec, type CnnSpec, type ModelSpec } from './spec';

const ZERO_INIT = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;

/**
 * A Keras model for the spec, saveable with `model.save` and loadable with `tf.loadLayersModel`.
 * Built-in kinds take their inputs flat (`ioOf(spec).inputSize` floats per example; token ids for
 * 'rnn', whose model takes them one-hot) and return logits. Weights start at zero: the real values
 * always come from a flat vector (`initialParams`, a peer's x) through `FlatParams`, which keeps
 * every peer bit-identical regardless of backend and skips TF.js's own random init.
 */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  validateSpec(spec);
  switch (spec.kind) {
    case 'mlp':
      {
      const io = ioOf(spec);
      return mlp(spec.hidden, io.inputSize, io.objective.kind === 'classification' ? io.objective.classes : 1);
    }
    case 'cnn':
      return cnn(spec);
    case 'rnn': {
      const model = tf.sequential();
      spec.units.forEach((units, i) => {
        const opts = { units, returnSequences: true, ...ZERO_INIT, recurrentInitializer: 'zeros' as const, ...(i === 0 ? { inputShape: [spec.length, spec.vocab] } : {}) };
        model.add(spec.cell === 'gru' ? tf.layers.gru(opts) : tf.layers.lstm({ ...opts, unitForgetBias: false }));
      });
      // Dense on a [batch, length, units] input applies to the last axis: logits at every position.
      model.add(tf.layers.dense({ units: spec.vocab, ...ZERO_INIT }));
      return model;
    }
    case 'layers':
      throw new ModelSpecError("a 'layers' spec is built asynchronously: use createModel(spec)");
  }
}

/** `buildModel` for every kind, including an owner's TF.js topology ('layers'). */
export async function createModel(spec: ModelSpec): Promise<tf.LayersModel> {
  if (spec.kind !== 'layers') return buildModel(spec);
  validateSpec(spec);
  const model = await tf.models.modelFromJSON({ modelTopology: spec.topology as tf.io.ModelArtifacts['modelTopology'] } as never);
  const shapes = model.trainableWeights.map((w) => w.shape.join('x'));
  const want = spec.weights.map((w) => w.shape.join('x'));
  if (shapes.join() !== want.join()) {
    model.dispose();
    throw new ModelSpecError(`the topology's trainable weights [${shapes.join(', ')}] are not the spec's [${want.join(', ')}]`);
  }
  return model;
}

function mlp(hidden: readonly number[], inputSize: number, classes: number): tf.Sequential {
  const model = tf.sequential();
  let first = true;
  for (const units of hidden) {
    model.add(tf.layers.dense({ units, activation: 'relu', ...ZERO_INIT, ...(first ? { inputShape: [inputSize] } : {}) }));
    first = false;
  }
  model.add(tf.layers.dense({ units: classes, ...ZERO_INIT, ...(first ? { inputShape: [inputSize] } : {}) }));
  return model;
}

function cnn(spec: CnnSpec): tf.Sequential {
  const io = ioOf(spec);
  const [h, w, c] = spec.image ?? [IMAGE_SIDE, IMAGE_SIDE, 1];
  const model = tf.sequential();
  // Flat inputs for every kind keep the trainer and the data pipeline model-agnostic.
  model.add(tf.layers.reshape({ inputShape: [io.inputSize], targetShape: [h, w, c] }));
  for (const filters of spec.filters) {
    model.add(tf.layers.conv2d({ filters, kernelSize: spec.kernelSize, padding: 'same', activation: 'relu', ...ZERO_INIT }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  }
  model.add(tf.layers.flatten());
  for (const units of spec.dense) model.add(tf.layers.dense({ units, activation: 'relu', ...ZERO_INIT }));
  model.add(tf.layers.dense({ units: io.objective.kind === 'classification' ? io.objective.classes : 1, ...ZERO_INIT }));
  return model;
}

