/**
 * The contribute page's training worker: TF.js, the data shard and the gradients run here, the
 * step loop and WebRTC stay on the page (packages/peer/src/compute.ts says why). Browsers throttle
 * a hidden page's timers, not its dedicated workers.
 */
import { serveCompute, type WorkerScope } from '@starling/peer/worker';

serveCompute(self as unknown as WorkerScope);
