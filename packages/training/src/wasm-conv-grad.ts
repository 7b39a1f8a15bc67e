/**
 * The filter gradient of a 2-D convolution for TF.js's wasm backend, which (4.22) has every kernel a
 * conv net trains with except `Conv2DBackpropFilter`. Without it a CNN trained on cpu only, about
 * 0.3 steps/s for the built-in LeNet on this project's 2-core machines.
 *
 * The wasm backend does have `Conv3DBackpropFilterV2`. A 2-D convolution is a 3-D one of depth 1
 * with a filter of depth 1, so x [B, H, W, C] is read as [B, 1, H, W, C], dy likewise, and the
 * [1, kh, kw, cin, cout] result as [kh, kw, cin, cout]. Those are views of the same buffers (the
 * wasm backend's own Reshape does the same), so nothing is copied.
 *
 * Only stride 1 is taken. Compared with the cpu kernel (2026-12-05, batch 4, 2 -> 3 channels) it
 * agreed at stride 1 (largest error 6.1e-5 against values up to 57, 'same' 5x5) and was wrong at
 * stride 2 (4.5 against values up to 6.8 'valid', 4.9 against 5.9 'same', 3x3), for a reason not
 * found. Every built-in conv net uses stride 1 (pooling downsamples).
 * Anything else throws `UnsupportedConvGradError`, so the backend's probe step fails and a model
 * with strided convolutions trains on another backend, as every conv net did before.
 */
import * as tf from './tf';

export const WASM_CONV_GRAD_KERNEL = 'Conv2DBackpropFilter';

export class UnsupportedConvGradError extends Error {
  constructor(what: string) {
    super(`the wasm backend's Conv2DBackpropFilter (built on Conv3DBackpropFilterV2) ${what}; train this model on another backend`);
    this.name = 'UnsupportedConvGradError';
  }
}

type Info = tf.TensorInfo;
type Attrs = tf.Conv2DBackpropFilterAttrs;

function pair(v: number | readonly number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Checks what the stand-in supports; the 3-D kernel's attributes for the rest. */
function conv3dAttrs(attrs: Attrs): { strides: [number, number, number]; pad: 'same' | 'valid'; filterShape: [number, number, number, number, number] } {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new UnsupportedConvGradError(`takes NHWC data only, not ${attrs.dataFormat}`);
  const [sh, sw] = pair(attrs.strides);
  if (sh !== 1 || sw !== 1) throw new UnsupportedConvGradError(`takes stride 1 only, not [${sh}, ${sw}]`);
  if (attrs.pad !== 'same' && attrs.pad !== 'valid') throw new UnsupportedConvGradError(`takes padding 'same' or 'valid' only, not ${JSON.stringify(attrs.pad)}`);
  const [kh, kw, cin, cout] = attrs.filterShape;
  return { strides: [1, 1, 1], pad: attrs.pad, filterShape: [1, kh, kw, cin, cout] };
}

function asDepthOne(t: Info): Info {
  const [b, h, w, c] = t.shape;
  return { dataId: t.dataId, shape: [b, 1, h, w, c], dtype: t.dtype };
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = conv3dAttrs(attrs as unknown as Attrs);
  if (x.shape.length !== 4 || dy.shape.length !== 4) throw new UnsupportedConvGradError(`needs 4-D x and dy, got [${x.shape}] and [${dy.shape}]`);
  const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
  if (conv3d === undefined) throw new UnsupportedConvGradError('needs Conv3DBackpropFilterV2, which this wasm backend lacks');
  const dw = conv3d.kernelFunc({ inputs: { x: asDepthOne(x), dy: asDepthOne(dy) }, backend, attrs: a as unknown as tf.NamedAttrMap }) as Info;
  // The engine takes ownership of the returned buffer under the 2-D filter's shape.
  return { dataId: dw.dataId, shape: [...(attrs as unknown as Attrs).filterShape], dtype: dw.dtype };
};

/** Registers the kernel for 'wasm' unless it already has one (a later TF.js may ship its own). */
export function registerWasmConvGrad(): void {
  if (tf.getKernel(WASM_CONV_GRAD_KERNEL, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: WASM_CONV_GRAD_KERNEL, backendName: 'wasm', kernelFunc });
}
