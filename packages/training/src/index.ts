/**
 * @starling/training: the TF.js side of a peer. Backend choice with a self-check, the model for a
 * spec, the flat parameter vector every algorithm works on, gradients and evaluation.
 */
export {
  selectBackend,
  type BackendName,
  type BackendAttempt,
  type BackendReport,
  type SelectBackendOptions,
  type WasmBinaryName,
} from './backend';
export { TRAINING_DEFAULTS, IMAGE_SIDE, INPUT_SIZE, NUM_CLASSES, type SpeedTrialConfig, type TrainingConfig } from './config';
export { isSoftwareDevice, prefetchGpuAdapter } from './device';
export { createFastestTrainer, timeSteps, wasmFirst, type FastestTrainerOptions, type SpeedTrialResult } from './speed-trial';
export { BackendError, ModelSpecError, TrainingError } from './errors';
export { FlatParams, bindVariables } from './flat';
export { kernelsFor, missingKernels } from './kernels';
export { UnsupportedConvGradError } from './wasm-conv-grad';
export { buildModel, createModel } from './model';
export { initialParams } from './init';
export {
  ioOf,
  layoutOf,
  specName,
  validateSpec,
  type CnnSpec,
  type MlpSpec,
  type ModelIO,
  type ModelSpec,
  type Objective,
  type RnnSpec,
  type WeightEntry,
  type WeightLayout,
} from './spec';
export { Trainer, type Evaluation, type TrainerOptions } from './trainer';
export type { Images, Labels } from './batch';
export { layersLayout, type LayersSpec, type LayersWeight } from './layers-spec';
export { compareWithReference, scaledMaxError, verifyActiveBackend, type Comparison } from './verify';
