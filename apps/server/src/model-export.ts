import { PATHS } from '@starling/protocol';
import { layoutOf, specName, type ModelSpec, type Trainer } from '@starling/training';
import type { ModelRuntime } from './model-runtime';

/**
 * A flat parameter vector as a TF.js layers model (`model.json` + `weights.bin`) that
 * `tf.loadLayersModel(url)` reads back. The topology and weight manifest come from saving the
 * training package's own Keras model for the spec once (so they match what peers train), and are
 * checked against the flat layout: then `weights.bin` is exactly the vector's little-endian bytes.
 */

// TF.js types reached through the Trainer, so the server needs no direct TF.js import.
type SaveHandler = Exclude<Parameters<Trainer['save']>[1], string>;
type SaveFn = NonNullable<SaveHandler['save']>;
type ModelArtifacts = Parameters<SaveFn>[0];
type SaveResult = Awaited<ReturnType<SaveFn>>;
type WeightSpecs = NonNullable<ModelArtifacts['weightSpecs']>;

/** The file `tf.loadLayersModel` fetches first. */
export interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpecs }[];
}

/** The weights file's name: model.json's manifest names it relative to itself, so the two routes are siblings. */
export const WEIGHTS_FILE = PATHS.modelWeights.slice(PATHS.modelWeights.lastIndexOf('/') + 1);

/** The saved model disagrees with the flat layout: a bug in the training package, not bad input. */
export class ModelExportError extends Error {
  override readonly name = 'ModelExportError';
}

export class ModelExporter {
  private readonly cache = new Map<string, Promise<ModelJson>>();

  constructor(private readonly runtime: ModelRuntime) {}

  /** model.json for the spec; weightsManifest names `weights.bin`, relative to model.json's URL. */
  modelJson(spec: ModelSpec): Promise<ModelJson> {
    const key = specName(spec);
    let json = this.cache.get(key);
    if (json === undefined) {
      json = this.build(spec);
      json.catch(() => this.cache.delete(key));
      this.cache.set(key, json);
    }
    return json;
  }

  /** weights.bin: the vector's bytes as they are (little-endian float32, layout order). */
  static weights(params: Float32Array): Uint8Array {
    return new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  }

  private async build(spec: ModelSpec): Promise<ModelJson> {
    const trainer = await this.runtime.trainerFor(spec);
    let saved: ModelArtifacts | undefined;
    const capture: SaveHandler = {
      save: async (artifacts: ModelArtifacts): Promise<SaveResult> => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    };
    await trainer.save(new Float32Array(trainer.dim), capture);
    if (saved?.modelTopology === undefined || saved.weightSpecs === undefined) {
      throw new ModelExportError('saving the model produced no topology or weight specs');
    }
    checkManifest(spec, saved.weightSpecs);
    return {
      format: saved.format ?? 'layers-model',
      generatedBy: saved.generatedBy ?? 'starling',
      convertedBy: null,
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved.weightSpecs }],
    };
  }
}

/** The manifest must list the layout's tensors in order, as float32, with the same shapes. */
function checkManifest(spec: ModelSpec, specs: WeightSpecs): void {
  const { entries } = layoutOf(spec);
  if (specs.length !== entries.length) {
    throw new ModelExportError(`the saved model has ${specs.length} weights, the layout of ${specName(spec)} has ${entries.length}`);
  }
  for (let i = 0; i < entries.length; i++) {
    const w = specs[i];
    const e = entries[i];
    if (w.dtype !== 'float32' || w.quantization !== undefined || w.shape.join('x') !== e.shape.join('x')) {
      throw new ModelExportError(`saved weight ${i} (${w.name}: ${w.dtype} [${w.shape.join(', ')}]) does not match layout entry ${e.name} [${e.shape.join(', ')}]`);
    }
  }
}
