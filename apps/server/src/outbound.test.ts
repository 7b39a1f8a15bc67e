import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { bufferedBytes } from './outbound';

/** A socket whose engine.io internals are plain objects, as bufferedBytes reads them. */
function fakeSocket(queue: { data?: unknown }[] | undefined, wsBuffered?: unknown): { socket: Pick<Socket, 'conn'>; conn: { writeBuffer?: { data?: unknown }[] } } {
  const conn = { writeBuffer: queue, transport: { socket: { bufferedAmount: wsBuffered } } };
  return { socket: { conn } as unknown as Pick<Socket, 'conn'>, conn };
}

describe('bufferedBytes', () => {
  it('adds the queued packets (strings, buffers, views) and the WebSocket send buffer', () => {
    const { socket } = fakeSocket([{ data: 'abcd' }, { data: new ArrayBuffer(10) }, { data: new Uint8Array(6) }, { data: 42 }, {}], 100);
    expect(bufferedBytes(socket)).toBe(4 + 10 + 6 + 100);
  });

  it('follows a queue that engine.io appends to, and one it replaced on a flush', () => {
    const { socket, conn } = fakeSocket([{ data: 'aa' }]);
    expect(bufferedBytes(socket)).toBe(2);
    conn.writeBuffer!.push({ data: 'bbb' }, { data: 'c' });
    expect(bufferedBytes(socket)).toBe(6);
    conn.writeBuffer = [{ data: 'dddd' }]; // flushed: a new array
    expect(bufferedBytes(socket)).toBe(4);
    conn.writeBuffer.length = 0; // emptied in place (not what engine.io does): counted afresh
    conn.writeBuffer.push({ data: 'e' });
    expect(bufferedBytes(socket)).toBe(1);
  });

  it('counts missing or odd internals as nothing', () => {
    expect(bufferedBytes(fakeSocket(undefined, 'x').socket)).toBe(0);
    expect(bufferedBytes(fakeSocket([], Number.NaN).socket)).toBe(0);
  });
});
