import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpErrorCode } from '@starling/protocol';
import type { ClientGate } from './client-gate';
import { countHttpError, type ServerCounters } from './counters';
import { errorBody } from './http-util';
import type { ServerTuning } from './tuning';

/**
 * What the HTTP server does below the request handler, where Node itself meets the client: a cap
 * on open connections per address, timeouts for stalled headers and bodies, an answer (and a
 * count) for requests Node's parser refuses, and the discarding of refused bodies. Without a
 * `clientError` listener Node answers those silently; with one, every refusal is counted.
 */

const STATUS: Partial<Record<string, { status: number; code: HttpErrorCode; text: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request-timeout', text: 'Request Timeout' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers-too-large', text: 'Request Header Fields Too Large' },
};
const BAD_REQUEST = { status: 400, code: 'bad-request' as const, text: 'Bad Request' };

export interface HttpGuardOptions {
  gate: ClientGate;
  tuning: ServerTuning;
  counters: ServerCounters;
}

/** Timeouts that Node applies itself; `timeoutCheckMs` can only be set when the server is created. */
export function httpServerOptions(tuning: ServerTuning): { connectionsCheckingInterval: number; requestTimeout: number; headersTimeout: number } {
  return { connectionsCheckingInterval: tuning.timeoutCheckMs, requestTimeout: tuning.requestTimeoutMs, headersTimeout: tuning.headersTimeoutMs };
}

export function guardHttpServer(http: Server, o: HttpGuardOptions): void {
  http.on('connection', (socket: Socket) => {
    const remote = socket.remoteAddress;
    if (!o.gate.tcpOpened(remote)) {
      o.counters.connectionsRefused++;
      socket.destroy();
      return;
    }
    socket.once('close', () => o.gate.tcpClosed(remote));
  });

  http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    // The client went away (reset, or end of stream mid-request): nobody to answer. With a request
    // in flight its handler counts it (httpClientsGone); otherwise it is counted here.
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      if (!inFlight && err.code !== 'ECONNRESET') o.counters.httpClientsGone++;
      socket.destroy();
      return;
    }
    const { status, code, text } = STATUS[err.code ?? ''] ?? BAD_REQUEST;
    countHttpError(o.counters, code);
    // After a reply has gone out on this socket, another status line would corrupt it; just close.
    if (answered.has(socket) || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(errorBody(code, `${text}: ${err.code ?? 'malformed request'}`));
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** Sockets whose refused request body is being read and discarded: they already have their answer. */
const answered = new WeakSet<Socket>();

/**
 * The request was refused before its body was read. Closing the socket with unread data in it
 * would send a TCP reset that can reach the client before the reply (it would see "connection
 * reset", not our 4xx). So the reply goes out at once and the rest of the body is read and
 * discarded, up to `cap` bytes; a longer body (or a refused oversized one) is cut off there.
 * A client that stalls instead is closed by the request timeout, without a second status line.
 */
export function discardRest(req: IncomingMessage, socket: Socket, cap: number, counters: ServerCounters): void {
  answered.add(socket);
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap && !socket.destroyed) {
      counters.bodiesCut++;
      socket.destroy();
    }
  });
  req.once('end', () => answered.delete(socket));
  req.on('error', () => {});
  req.resume();
}
