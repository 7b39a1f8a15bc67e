import type { ServerToClient } from '@starling/protocol';
import type { ServerCounters } from './counters';
import { sendLossless, sendPeriodic } from './outbound';
import type { IoSocket } from './socket-types';

/**
 * The dashboards watching the run. Each gets its messages one by one, so one that stops reading
 * cannot make the server hold an ever-growing queue: the periodic `peers` table is skipped for it
 * until it drains, and a message it must not miss disconnects it instead.
 */
export class Observers {
  private readonly sockets = new Set<IoSocket>();

  constructor(
    private readonly maxBuffered: number,
    private readonly counters: () => ServerCounters,
  ) {}

  add(socket: IoSocket): void {
    this.sockets.add(socket);
  }

  delete(socket: IoSocket): void {
    this.sockets.delete(socket);
  }

  get size(): number {
    return this.sockets.size;
  }

  /** A message each observer must get (topology, evaluation, a new run). */
  send<E extends keyof ServerToClient>(event: E, ...args: Parameters<ServerToClient[E]>): void {
    for (const s of [...this.sockets]) {
      if (sendLossless(s, this.maxBuffered, () => s.emit(event, ...args)) === 'disconnected') this.counters().slowClientDisconnects++;
    }
  }

  /** A message the next one replaces (the peers table); built only when someone watches. */
  sendPeriodic<E extends keyof ServerToClient>(event: E, build: () => Parameters<ServerToClient[E]>): void {
    if (this.sockets.size === 0) return;
    const args = build();
    for (const s of this.sockets) {
      if (sendPeriodic(s, this.maxBuffered, () => s.emit(event, ...args)) === 'skipped') this.counters().sendsSkipped++;
    }
  }
}
