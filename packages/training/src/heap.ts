/**
 * The wasm backend's tensors live in its WebAssembly heap. Reading a gradient back with `data()`
 * copies the tensor into a fresh model-sized buffer every step (HEAPU8.slice): garbage for the
 * worker's collector on the cores the gradients need. On wasm the trainer copies the gradient
 * straight out of a view on the heap instead (four tabs of the MNIST MLP on two cores: solo stepped
 * 104-112 times a second instead of 79-87, BENCHMARKS.md section 3); other backends keep `data()`
 * (a GPU read-back needs its own buffer anyway).
 *
 * Parameters are still loaded with `tf.tensor` + `assign`, not written into the variables' heap
 * memory: tried, the forward pass kept computing with the old values (a read-back showed the new
 * ones; the gradient tests caught it), most likely because the wasm backend's XNNPACK operators
 * keep weights packed per tensor, and only a new tensor invalidates them.
 */
import * as tf from './tf';

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * A float32 view on the tensor's memory in the wasm heap, or null on any other backend. Valid
 * until the heap grows or the tensor is disposed: use it at once, never keep it.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as Partial<HeapBackend>;
  if (typeof b.typedArrayFromHeap !== 'function') return null;
  const v = b.typedArrayFromHeap(t);
  return v instanceof Float32Array && v.length === t.size ? v : null;
}
