/** Node-only entry (`@starling/training/node`): WebGPU through Dawn for headless peers and benches. */
export { enableNodeWebGpu, type NodeWebGpu, type NodeWebGpuOptions } from './node-webgpu';
