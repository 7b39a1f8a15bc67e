/**
 * The TF.js this package computes with: core, layers and the plain-JS cpu backend. Not the
 * `@tensorflow/tfjs` union, which adds the graph-model converter, tf.data and the WebGL backend:
 * about 0.7 MB (minified) of a tab's page that every tab parses before its first step, while none
 * of it trains a layers model. `backend.ts` loads the webgl, webgpu and wasm backends when a
 * candidate needs them.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
