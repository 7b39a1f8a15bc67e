import type { Server } from 'socket.io';
import type { ClusterBus } from './bus';
import type { ClientEnvelope, Delivery, HubId } from './messages';

/**
 * The bus between processes, over the socket.io Redis adapter's server-side events: every process
 * hears every other one's. Messages are gathered per event-loop turn and sent as one batch (a join
 * announces a new epoch to every peer: one publish, not one per peer). Redis delivers one
 * publisher's messages in order, so a hub sees the host's deliveries in the order they were made.
 * Deliveries for this process's own hub and envelopes for a host in this process skip Redis.
 */

const TO_HOST = 'starling:to-host';
const TO_HUBS = 'starling:to-hubs';

export class AdapterBus implements ClusterBus {
  private host: ((e: ClientEnvelope) => void) | null = null;
  private readonly hubs: ((d: Delivery) => void)[] = [];
  private upBatch: ClientEnvelope[] = [];
  private downBatch: Delivery[] = [];
  private flushing: ReturnType<typeof setImmediate> | null = null;
  private closed = false;

  constructor(
    private readonly io: Server,
    readonly hubId: HubId,
    private readonly onError: (what: string, e: unknown) => void,
  ) {
    // Listeners of server-side events get the other processes' batches.
    io.on(TO_HOST, (batch: ClientEnvelope[]) => {
      if (this.host === null || !Array.isArray(batch)) return;
      for (const e of batch) this.safely('envelope', () => this.host?.(e));
    });
    io.on(TO_HUBS, (batch: Delivery[]) => {
      if (!Array.isArray(batch)) return;
      for (const d of batch) this.toLocalHub(d);
    });
  }

  toHost(e: ClientEnvelope): void {
    if (this.closed) return;
    if (this.host !== null) return this.safely('envelope', () => this.host?.(e));
    this.upBatch.push(e);
    this.scheduleFlush();
  }

  onDelivery(fn: (d: Delivery) => void): void {
    this.hubs.push(fn);
  }

  deliver(d: Delivery): void {
    if (this.closed) return;
    const local = !('hub' in d) || d.hub === this.hubId;
    if (local) this.toLocalHub(d);
    if (!local || d.t === 'observers' || d.t === 'all' || d.t === 'rehello') {
      this.downBatch.push(d);
      this.scheduleFlush();
    }
  }

  attachHost(fn: ((e: ClientEnvelope) => void) | null): void {
    this.host = fn;
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.host = null;
  }

  private toLocalHub(d: Delivery): void {
    if ('hub' in d && d.hub !== this.hubId) return;
    for (const fn of this.hubs) this.safely('delivery', () => fn(d));
  }

  private scheduleFlush(): void {
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.flushing !== null) clearImmediate(this.flushing);
    this.flushing = null;
    if (this.closed) return;
    const up = this.upBatch;
    const down = this.downBatch;
    this.upBatch = [];
    this.downBatch = [];
    if (up.length > 0) this.io.serverSideEmit(TO_HOST, up);
    if (down.length > 0) this.io.serverSideEmit(TO_HUBS, down);
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.onError(what, e);
    }
  }
}
