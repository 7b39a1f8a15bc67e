import type { PeerId } from '@starling/core';
import { HandoffReceiver } from './handoff';
import type { FrameRouter } from './frames';
import type { Mesh } from './mesh';

export interface SyncedModel {
  model: Float32Array;
  from: PeerId;
}

/**
 * A joiner's request for the current model: ask every neighbour whose link is open (and each one
 * that opens later) and resolve with the first complete copy, or null after the timeout.
 */
export class ModelSync {
  readonly result: Promise<SyncedModel | null>;
  private readonly asked = new Set<PeerId>();
  private readonly requestId = crypto.getRandomValues(new Uint32Array(1))[0];
  private finish!: (r: SyncedModel | null) => void;

  constructor(
    private readonly mesh: Mesh,
    router: FrameRouter,
    dim: number,
    blockSize: number,
    timeoutMs: number,
  ) {
    const rx = new HandoffReceiver(this.requestId, dim, blockSize);
    this.result = new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(null), timeoutMs);
      this.finish = (r) => {
        clearTimeout(timer);
        if (router.onHandoff === onFrame) router.onHandoff = null;
        resolve(r);
      };
    });
    const onFrame = (msg: Parameters<HandoffReceiver['accept']>[0]) => {
      if (rx.accept(msg)) this.finish({ model: rx.model(), from: rx.from! });
    };
    router.onHandoff = onFrame;
    this.askOpenLinks();
  }

  /** Call when links open: new neighbours get asked too. */
  askOpenLinks(): void {
    for (const id of this.mesh.openIds()) {
      if (!this.asked.has(id) && this.mesh.sendControl(id, { t: 'model-req', id: this.requestId })) this.asked.add(id);
    }
  }

  cancel(): void {
    this.finish(null);
  }
}
