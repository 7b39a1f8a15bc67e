import { describe, expect, it } from 'vitest';
import * as tf from './tf';
import { selectBackend } from './backend';
import { heapView } from './heap';

describe('heapView', () => {
  it('is a view on the wasm heap holding the tensor values', async () => {
    await selectBackend(['wasm']);
    const t = tf.tensor([1.5, -2, 3.25, 1e-3]);
    const view = heapView(t);
    expect(view).not.toBeNull();
    expect(Array.from(view!)).toEqual(Array.from(t.dataSync()));
    // A view, not a copy: it shares the backend's buffer.
    const b = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    expect(view!.buffer).toBe(b.wasm.HEAPU8.buffer);
    t.dispose();
  });

  it('is null for an int32 tensor and on any other backend, so callers fall back to data()', async () => {
    await selectBackend(['wasm']);
    const i = tf.tensor([1, 2], [2], 'int32');
    expect(heapView(i)).toBeNull();
    i.dispose();
    await selectBackend(['cpu']);
    const c = tf.tensor([1, 2]);
    expect(heapView(c)).toBeNull();
    c.dispose();
  });
});
