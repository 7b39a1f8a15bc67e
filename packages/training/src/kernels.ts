/**
 * Which TF.js kernels a spec needs, so a backend that lacks one is refused up front. Running the
 * step and catching the failure works too, but a backward pass that dies halfway leaks the tensors
 * it saved for later, so the known list is checked first and the probe step is the backstop.
 */
import * as tf from './tf';
import type { ModelSpec } from './spec';

/** Kernels of an MLP's gradient step and evaluation (recorded on cpu with TF.js 4.22). */
const DENSE_KERNELS = [
  '_FusedMatMul', 'Add', 'ArgMax', 'BatchMatMul', 'Cast', 'Concat', 'Equal', 'Exp', 'GatherV2', 'Identity', 'Log',
  'Max', 'Multiply', 'Neg', 'OneHot', 'Pack', 'RealDiv', 'Relu', 'Reshape', 'Step', 'Sub', 'Sum',
] as const;

/** Extra kernels of the conv blocks (TF.js 4.22's wasm backend lacks Conv2DBackpropFilter: wasm-conv-grad.ts adds it). */
const CONV_KERNELS = [
  'Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedConv2D', 'MaxPool', 'MaxPoolGrad',
] as const;

/** Extra kernels of the recurrent layers (GRU / LSTM), their one-hot inputs and sequence loss. */
const RNN_KERNELS = [
  'ClipByValue', 'GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select', 'SplitV', 'Square', 'Tanh', 'Tile', 'Transpose',
  'Unpack', 'ZerosLike',
] as const;

export function kernelsFor(spec: ModelSpec): readonly string[] {
  if (spec.kind === 'cnn') return [...DENSE_KERNELS, ...CONV_KERNELS];
  if (spec.kind === 'rnn') return [...DENSE_KERNELS, ...RNN_KERNELS];
  // An owner's topology may use other kernels too: the probe step is the check.
  return DENSE_KERNELS;
}

/** The kernels of `spec` that `backend` has not registered. */
export function missingKernels(spec: ModelSpec, backend: string): string[] {
  return kernelsFor(spec).filter((name) => tf.getKernel(name, backend) === undefined);
}
