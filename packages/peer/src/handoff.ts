import {
  allFinite, blockEnd, blockLayout, blockStart, isValidBlock, MsgKind,
  type BlockLayout, type Envelope, type Message, type PeerId,
} from '@starling/core';

/**
 * Model hand-off (algorithms.md 1.6): a joiner asks its neighbours for their model and starts
 * from the first complete copy, so it does not drag the run back to x0. Blocks travel as
 * ModelHandoff frames on the reliable channel; the first sender to deliver a block is the only
 * source taken, so two half copies are never mixed.
 */
export class HandoffReceiver {
  private readonly layout: BlockLayout;
  private readonly x: Float32Array;
  private readonly got: Uint8Array;
  private missing: number;
  private source: PeerId | null = null;
  /** Frames refused: wrong request id, second source, bad block or values. */
  rejected = 0;

  constructor(
    readonly requestId: number,
    dim: number,
    blockSize: number,
  ) {
    this.layout = blockLayout(dim, blockSize);
    this.x = new Float32Array(dim);
    this.got = new Uint8Array(this.layout.count);
    this.missing = this.layout.count;
  }

  get complete(): boolean {
    return this.missing === 0;
  }

  get from(): PeerId | null {
    return this.source;
  }

  /** Takes one frame; returns true once the whole model has arrived. */
  accept(msg: Message): boolean {
    const ok =
      msg.kind === MsgKind.ModelHandoff &&
      msg.seq === this.requestId &&
      (this.source === null || msg.from === this.source) &&
      msg.data instanceof Float32Array &&
      isValidBlock(this.layout, msg.block, msg.offset, msg.data.length) &&
      allFinite(msg.data);
    if (!ok) {
      this.rejected++;
      return this.complete;
    }
    this.source = msg.from;
    if (this.got[msg.block] === 0) {
      this.got[msg.block] = 1;
      this.missing--;
      this.x.set(msg.data, msg.offset);
    }
    return this.complete;
  }

  model(): Float32Array {
    return this.x;
  }
}

/** The responder's side: the blocks of its current model, as reliable envelopes to the joiner. */
export function handoffEnvelopes(
  from: PeerId, to: PeerId, requestId: number, epoch: number, model: Float32Array, blockSize: number,
): Envelope[] {
  const layout = blockLayout(model.length, blockSize);
  const out: Envelope[] = [];
  for (let b = 0; b < layout.count; b++) {
    const offset = blockStart(layout, b);
    const data = model.subarray(offset, blockEnd(layout, b));
    out.push({ to, reliable: true, msg: { kind: MsgKind.ModelHandoff, from, epoch, seq: requestId, block: b, offset, aux: 0, data } });
  }
  return out;
}
