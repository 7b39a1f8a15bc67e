/**
 * A model the run's owner brought: a TF.js layers topology (the `modelTopology` of a model.json)
 * with the list of its trainable weights. The server checks the topology before any peer sees it
 * (apps/server's task upload); here it only has to be self-consistent.
 */
import { ModelSpecError } from './errors';
import type { Objective, WeightEntry, WeightLayout } from './spec';

export interface LayersWeight {
  name: string;
  shape: readonly number[];
}

export interface LayersSpec {
  kind: 'layers';
  /** Names the topology (the task id); part of cache keys, so two topologies never share one. */
  name: string;
  /** Keras JSON, as in model.json's `modelTopology`; built with `tf.models.modelFromJSON`. */
  topology: unknown;
  /** Floats per example as the model takes them, without the batch dimension (e.g. [28, 28, 1] or [12]). */
  inputShape: readonly number[];
  objective: Objective;
  /** The model's trainable weights in `trainableWeights` order: the flat vector's layout. */
  weights: readonly LayersWeight[];
}

/** The flat layout of a layers spec; throws ModelSpecError when the spec is not self-consistent. */
export function layersLayout(spec: LayersSpec): WeightLayout {
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(spec.name)) {
    throw new ModelSpecError(`layers.name = ${JSON.stringify(spec.name)}: use 1-64 characters from A-Z a-z 0-9 . _ -`);
  }
  if (spec.topology === null || typeof spec.topology !== 'object') throw new ModelSpecError('layers.topology must be the modelTopology object of a model.json');
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length === 0 || !spec.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ModelSpecError(`layers.inputShape = ${JSON.stringify(spec.inputShape)}: must list positive integers`);
  }
  const o = spec.objective;
  const okObjective =
    o !== null && typeof o === 'object' &&
    ((o.kind === 'classification' && Number.isInteger(o.classes) && o.classes >= 2) ||
      (o.kind === 'regression' && Number.isInteger(o.outputs) && o.outputs >= 1));
  if (!okObjective) throw new ModelSpecError(`layers.objective = ${JSON.stringify(o)}: expected classification (classes >= 2) or regression (outputs >= 1)`);
  if (!Array.isArray(spec.weights) || spec.weights.length === 0) throw new ModelSpecError('layers.weights must list the trainable weights');
  const entries: WeightEntry[] = [];
  let dim = 0;
  for (let i = 0; i < spec.weights.length; i++) {
    const w = spec.weights[i];
    if (!Array.isArray(w?.shape) || w.shape.length === 0 || !w.shape.every((d: number) => Number.isInteger(d) && d > 0)) {
      throw new ModelSpecError(`layers.weights[${i}].shape = ${JSON.stringify(w?.shape)}: must list positive integers`);
    }
    const size = w.shape.reduce((a: number, b: number) => a * b, 1);
    // Keras fan convention: the last axis is fan-out, the rest fan-in (times the receptive field).
    const fanOut = w.shape.length >= 2 ? w.shape[w.shape.length - 1] * (size / (w.shape[w.shape.length - 1] * w.shape[w.shape.length - 2])) : size;
    const fanIn = w.shape.length >= 2 ? size / w.shape[w.shape.length - 1] : size;
    entries.push({ name: `w${i}/${String(w.name).slice(0, 80)}`, role: w.shape.length >= 2 ? 'kernel' : 'bias', shape: [...w.shape], offset: dim, size, fanIn, fanOut });
    dim += size;
  }
  return { entries, dim };
}
