/**
 * A real socket.io server standing in for the signaling server: it records each client's hello
 * and disconnect and answers every hello with `welcome`. For unit tests only.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { HelloPayload, WelcomePayload } from '@starling/protocol';

export interface FakeSignaling {
  url: string;
  io: Server;
  http: HttpServer;
  hellos: HelloPayload[];
  connections: () => number;
  disconnects: () => number;
}

export async function fakeSignaling(welcome: WelcomePayload = {} as WelcomePayload): Promise<FakeSignaling> {
  const http = createServer();
  const io = new Server(http);
  const hellos: HelloPayload[] = [];
  let connections = 0;
  let disconnects = 0;
  io.on('connection', (socket) => {
    connections++;
    socket.on('hello', (h: HelloPayload) => {
      hellos.push(h);
      socket.emit('welcome', welcome);
    });
    socket.on('disconnect', () => disconnects++);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, io, http, hellos, connections: () => connections, disconnects: () => disconnects };
}

/** Waits (polling every 10 ms, up to 5 s) until `check` holds. */
export async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`never saw ${what}`);
}
