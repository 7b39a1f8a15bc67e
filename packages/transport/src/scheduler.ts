/**
 * The newest-wins send scheduler (docs/algorithms.md 1.7): when a link can take a frame, it takes
 * the next slot holding unsent content from the algorithm's SlotSource, which encodes it at that
 * moment. Fair: targets are served in turn, one frame each, and each target's slots are visited in
 * rotation, so every block gets its share of a slow link. It never waits: `pump` sends what the
 * links can take now and returns; the runtime calls it again after a step and when a link drains.
 * The peer runtime and the simulator both drive their R-FAST peers through this class.
 */
import type { Envelope, PeerId, SlotSource } from '@starling/core';

export interface SlotSink {
  /** May `to` take one more frame now (open, its queue at or below its low-water mark)? */
  ready(to: PeerId): boolean;
  /** Sends one unreliable frame (the payload is a view: encode or copy it at once). */
  send(env: Envelope): void;
}

export class SendScheduler {
  private version = -1;
  private cursor = new Int32Array(0);
  private turn = 0;

  constructor(private readonly sink: SlotSink) {}

  /** Sends while some target is ready and has a pending slot, at most `max` frames; returns frames sent. */
  pump(source: SlotSource, max = Infinity): number {
    const targets = source.targets();
    const n = targets.length;
    if (n === 0) return 0;
    if (source.version !== this.version) {
      this.version = source.version;
      this.cursor = new Int32Array(n);
      this.turn = 0;
    }
    let sent = 0;
    for (;;) {
      let round = 0;
      for (let i = 0; i < n && sent < max; i++) {
        const t = (this.turn + i) % n;
        if (!this.sink.ready(targets[t])) continue;
        const slot = source.nextPending(t, this.cursor[t]);
        if (slot < 0) continue;
        const env = source.take(t, slot);
        this.cursor[t] = (slot + 1) % source.slotCount(t);
        this.sink.send(env);
        round++;
        sent++;
      }
      this.turn = (this.turn + 1) % n;
      if (round === 0 || sent >= max) return sent;
    }
  }
}
