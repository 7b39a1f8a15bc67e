import type { PeerId } from '@starling/core';
import type { ClientToServer, ServerToClient } from '@starling/protocol';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';

/** Per-connection state; absent role = no valid `hello` yet. */
export interface SocketData {
  role?: 'peer' | 'observer';
  peerId?: PeerId;
  /** The client's address (X-Forwarded-For only from a trusted proxy), set on connection. */
  address?: string;
}
export type IoServer = Server<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;
export type IoSocket = Socket<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;
