/**
 * An owner's task upload, end to end: the form fields, the model (./model-upload.ts), the data (a
 * CSV with a label column, or a zip of class folders of PNG images), the checks that bind them
 * (input shape, output units against the labels, a classifier's logits), a seeded hold-out test
 * split, and the TaskInfo peers will be given. Nothing here touches the disk or the database.
 */
import { Rng } from '@starling/core';
import type { TaskInfo } from '@starling/protocol';
import { subset, type DataSet } from '@starling/tasks';
import type { LayersSpec, Objective } from '@starling/training';
import { parseCsv } from './csv';
import { UploadError } from './errors';
import { imageFolders } from './images';
import { readUploadedModel, type UploadedModel } from './model-upload';
import { readZip } from './zip';

export interface UploadLimits {
  maxBodyBytes: number;
  maxModelJsonBytes: number;
  maxLayers: number;
  maxParams: number;
  maxRows: number;
  maxColumns: number;
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxRatio: number;
  maxImageSide: number;
  maxClasses: number;
  minExamples: number;
  /** Share of the examples held out as the test set (seeded, at least one example). */
  testFraction: number;
}

/** The form of `POST /api/tasks`, as the dashboard and the CLI send it. */
export interface UploadForm {
  name: string;
  kind: 'csv' | 'images';
  /** CSV: the column holding the label. */
  labelColumn: string | null;
  /** CSV: 'classification' (integer labels 0..k-1) or 'regression' (real targets). */
  objective: 'classification' | 'regression';
  modelJson: Uint8Array;
  /** Weight files by file name, as model.json's weightsManifest names them. */
  weights: Map<string, Uint8Array>;
  data: Uint8Array;
}

export interface PreparedTask {
  /** The task without its id (`custom-<n>` is known once stored). */
  info: Omit<TaskInfo, 'id' | 'initialUrl' | 'model'> & { model: Omit<LayersSpec, 'name'> };
  x0: Float32Array;
  train: DataSet;
  test: DataSet;
  summary: Record<string, unknown>;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Validates everything an upload holds; throws UploadError with what is wrong. */
export function prepareTask(form: UploadForm, limits: UploadLimits, seed = 1): PreparedTask {
  const model = readUploadedModel(form.modelJson, form.weights, limits);
  const { checked } = model;
  let set: DataSet;
  let classNames: string[] | null = null;
  let image: [number, number, number] | null = null;
  let objective: Objective;
  if (form.kind === 'csv') {
    if (form.labelColumn === null || form.labelColumn === '') throw new UploadError("a CSV task needs 'labelColumn': the name of the column to predict");
    const table = parseCsv(form.data, form.labelColumn, { maxRows: limits.maxRows, maxColumns: limits.maxColumns });
    if (!sameShape(checked.inputShape, [table.featureCount])) {
      throw new UploadError(`the model takes inputs of shape [${checked.inputShape.join(', ')}], the CSV has ${table.featureCount} feature columns: the input must be [${table.featureCount}]`);
    }
    if (form.objective === 'regression') {
      if (!sameShape(checked.outputShape, [1])) throw new UploadError(`a regression model must output 1 value, this one outputs [${checked.outputShape.join(', ')}]`);
      objective = { kind: 'regression', outputs: 1 };
      set = { layout: 'examples', featureShape: [table.featureCount], features: table.features, targets: table.targets, count: table.rows, classes: 0 };
    } else {
      const classes = classifierOutputs(model);
      const labels = new Uint8Array(table.rows);
      for (let r = 0; r < table.rows; r++) {
        const y = table.targets[r];
        if (!Number.isInteger(y) || y < 0 || y >= classes) {
          throw new UploadError(`CSV row ${r + 2}: label ${y} is out of range: the model has ${classes} outputs, so labels must be integers 0..${classes - 1}`);
        }
        labels[r] = y;
      }
      objective = { kind: 'classification', classes };
      set = { layout: 'examples', featureShape: [table.featureCount], features: table.features, targets: labels, count: table.rows, classes };
    }
  } else {
    const entries = readZip(form.data, { maxEntries: limits.maxEntries, maxEntryBytes: limits.maxEntryBytes, maxTotalBytes: limits.maxTotalBytes, maxRatio: limits.maxRatio });
    const classes = classifierOutputs(model);
    const folders = imageFolders(entries, checked.inputShape, { maxImageSide: limits.maxImageSide, maxClasses: Math.min(limits.maxClasses, 255) });
    if (folders.classNames.length > classes) {
      throw new UploadError(`the zip has ${folders.classNames.length} class folders, the model only ${classes} outputs: label ${classes} would be out of range`);
    }
    set = { ...folders.set, classes };
    classNames = [...folders.classNames, ...Array.from({ length: classes - folders.classNames.length }, (_, i) => `(unused ${i})`)];
    image = checked.inputShape as [number, number, number];
    objective = { kind: 'classification', classes };
  }
  if (set.count < limits.minExamples) throw new UploadError(`the data has ${set.count} examples; at least ${limits.minExamples} are needed`);
  const { train, test } = holdOut(set, limits.testFraction, seed);
  return {
    info: {
      title: form.name,
      model: { kind: 'layers', topology: model.topology, inputShape: checked.inputShape, objective, weights: checked.weights },
      data: { layout: 'examples', classNames, image },
      metric: objective.kind === 'regression' ? 'mse' : 'accuracy',
    },
    x0: model.x0,
    train,
    test,
    summary: { kind: form.kind, examples: set.count, train: train.count, test: test.count, params: checked.params, classes: objective.kind === 'classification' ? objective.classes : null },
  };
}

/** A classifier's class count; its last layer must give logits (Starling applies the softmax in the loss). */
function classifierOutputs(model: UploadedModel): number {
  const out = model.checked.outputShape;
  if (out.length !== 1 || out[0] < 2) throw new UploadError(`a classifier must output one logit per class (at least 2), this model outputs [${out.join(', ')}]`);
  if (model.checked.outputActivation === 'softmax' || model.checked.outputActivation === 'sigmoid') {
    throw new UploadError(`the last layer applies ${model.checked.outputActivation}; remove it: Starling trains on logits (softmax cross-entropy), and the exported model outputs logits`);
  }
  return out[0];
}

function holdOut(set: DataSet, fraction: number, seed: number): { train: DataSet; test: DataSet } {
  const order = new Uint32Array(set.count);
  for (let i = 0; i < set.count; i++) order[i] = i;
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.max(1, Math.round(set.count * fraction));
  return { test: subset(set, order.slice(0, nTest)), train: subset(set, order.slice(nTest)) };
}
