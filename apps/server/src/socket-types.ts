import type { PeerId } from '@starling/core';
import type { ClientToServer, HelloPayload, IceServer, ServerToClient } from '@starling/protocol';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';

/** Per-connection state; absent role = not admitted (yet). */
export interface SocketData {
  role?: 'peer' | 'observer';
  peerId?: PeerId;
  /** Its valid `hello`, kept until it leaves: said again to a new host after a take-over. */
  hello?: HelloPayload;
  /** The run's own ICE servers, for this peer's credential refreshes. */
  runIce?: IceServer[];
  /** The client's address (X-Forwarded-For only from a trusted proxy), set on connection. */
  address?: string;
}
export type IoServer = Server<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;
export type IoSocket = Socket<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;
