import type { ClientEnvelope, Delivery, HubId } from './messages';

/**
 * The line between the hubs (socket.io connections, one hub per process) and the run's host (the
 * process that owns the run). A hub sends envelopes up and applies deliveries; the host does the
 * opposite. `LocalBus` is the single-process server: plain synchronous calls. `AdapterBus`
 * (adapter-bus.ts) carries the same messages between processes over the socket.io Redis adapter.
 */
export interface ClusterBus {
  /** This process's hub. */
  readonly hubId: HubId;
  /** Hub side: a client event for the host (dropped while no host is reachable: clients repeat). */
  toHost(e: ClientEnvelope): void;
  /** Hub side: what the host wants done (deliveries for other hubs are filtered by the hub itself). */
  onDelivery(fn: (d: Delivery) => void): void;
  /** Host side: deliver to the hubs. */
  deliver(d: Delivery): void;
  /** Host side: start (a function) or stop (null) receiving every hub's envelopes. */
  attachHost(fn: ((e: ClientEnvelope) => void) | null): void;
  close(): void;
}

/** One process: the hub and the host call each other directly. */
export class LocalBus implements ClusterBus {
  readonly hubId: HubId = 'local';
  private host: ((e: ClientEnvelope) => void) | null = null;
  private readonly hubs: ((d: Delivery) => void)[] = [];

  toHost(e: ClientEnvelope): void {
    this.host?.(e);
  }

  onDelivery(fn: (d: Delivery) => void): void {
    this.hubs.push(fn);
  }

  deliver(d: Delivery): void {
    for (const fn of this.hubs) fn(d);
  }

  attachHost(fn: ((e: ClientEnvelope) => void) | null): void {
    this.host = fn;
  }

  close(): void {
    this.host = null;
  }
}
