import { io, type Socket } from 'socket.io-client';
import type { TelemetryPayload, WelcomePayload } from '@starling/protocol';

/**
 * A volunteer that is only a script (plain socket.io, as anyone on the internet could write): it
 * joins as a peer and says whatever it likes, for the specs about buggy and hostile volunteers.
 */

/** A telemetry report of a peer 200 steps in; override what the spec needs. */
export function scriptReport(over: Partial<TelemetryPayload> = {}): TelemetryPayload {
  return {
    steps: 200, samples: 6400, loss: 0.4, stepsPerSec: 10, backend: 'wasm', bytesSent: 0, bytesReceived: 0, framesSent: 0,
    framesReceived: 0, framesLost: 0, framesRejected: 0, computeMs: 0, commMs: 0, epoch: 0, neighbours: 0, ...over,
  };
}

/** Connects and joins as a peer; close the socket when done. */
export async function scriptPeer(url: string): Promise<{ socket: Socket; welcome: WelcomePayload }> {
  const socket = io(url, { transports: ['websocket'], reconnection: false });
  const welcome = new Promise<WelcomePayload>((resolve) => socket.once('welcome', resolve));
  socket.emit('hello', { role: 'peer', backend: 'wasm' });
  return { socket, welcome: await welcome };
}
