import type { Socket } from 'socket.io';

/**
 * How much the server holds for one client that has not read it yet, and what to do about a client
 * that stops reading: without a cap, every message to it (relayed signals of 60 KB, epochs, the
 * peers table) would pile up in the server's memory for as long as the connection lives.
 */

interface EngineInternals {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: unknown; terminate?: unknown } };
  close?: (discard?: boolean) => void;
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/**
 * Bytes queued for `socket`: engine.io's packet queue (filled while the transport is busy, and
 * for long-polling until the client polls) plus the WebSocket's own send buffer. Read from
 * engine.io / ws internals, defensively: a field that is missing counts as 0.
 */
export function bufferedBytes(socket: Pick<Socket, 'conn'>): number {
  const conn = socket.conn as unknown as EngineInternals;
  let n = 0;
  for (const p of conn.writeBuffer ?? []) n += sizeOf(p.data);
  const ws = conn.transport?.socket?.bufferedAmount;
  if (typeof ws === 'number' && Number.isFinite(ws)) n += ws;
  return n;
}

/**
 * Closes a client's connection now, dropping what is queued for it. A graceful close would wait
 * for that queue to drain first, and a client that does not read never lets it (ws then waits
 * for its 30 s close timeout, engine.io for the ping timeout): the memory would stay held.
 */
export function terminate(conn: unknown): void {
  const c = conn as EngineInternals;
  const ws = c.transport?.socket;
  if (ws !== undefined && typeof ws.terminate === 'function') (ws.terminate as () => void).call(ws);
  else c.close?.(true);
}

export type SendOutcome = 'sent' | 'skipped' | 'disconnected';

/**
 * A message that must not be lost (a relayed signal, an epoch): sent, unless the client already
 * holds `maxBuffered` bytes unread, in which case it is disconnected (an honest client reconnects
 * and rejoins; skipping the message would leave it with a wrong view of the run).
 */
export function sendLossless(socket: Socket, maxBuffered: number, emit: () => void): SendOutcome {
  if (bufferedBytes(socket) > maxBuffered) {
    socket.disconnect(true);
    terminate(socket.conn);
    return 'disconnected';
  }
  emit();
  return 'sent';
}

/** A message the next one replaces (the peers table): skipped while the client is over `maxBuffered`. */
export function sendPeriodic(socket: Socket, maxBuffered: number, emit: () => void): SendOutcome {
  if (bufferedBytes(socket) > maxBuffered) return 'skipped';
  emit();
  return 'sent';
}
