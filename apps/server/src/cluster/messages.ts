import type { HelloPayload, IceServer, ServerToClient, SignalPayload, TelemetryPayload } from '@starling/protocol';

/**
 * What the socket.io side (a hub: one per process, holding its own connections) and the run's
 * host (the one process that owns the run's state) say to each other. In a single process they are
 * function calls; with several processes they travel over the socket.io Redis adapter. Client
 * payloads in here were validated by the hub that received them: the host trusts hubs, not clients.
 */

/** A hub (process) id, and a socket id (unique across the cluster: socket.io makes them random). */
export type HubId = string;
export type SocketId = string;

/** A client event as the hub received it, or the client's departure. */
export type ClientEnvelope =
  | { t: 'hello'; hub: HubId; sid: SocketId; address: string; hello: HelloPayload }
  | { t: 'signal'; hub: HubId; sid: SocketId; signal: SignalPayload }
  | { t: 'telemetry'; hub: HubId; sid: SocketId; telemetry: TelemetryPayload }
  | { t: 'leave'; hub: HubId; sid: SocketId }
  /** The connection closed. */
  | { t: 'gone'; hub: HubId; sid: SocketId };

export type ServerEvent = keyof ServerToClient;

/** What the host wants done with clients. */
export type Delivery =
  /** One event to one client; a client too slow to read it is disconnected rather than skipped. */
  | { t: 'emit'; hub: HubId; sid: SocketId; event: ServerEvent; payload: unknown }
  /** To every observer (dashboard); `periodic` ones (the peers table) are skipped for a slow one. */
  | { t: 'observers'; event: ServerEvent; payload: unknown; periodic: boolean }
  /** To every connected client. */
  | { t: 'all'; event: ServerEvent; payload: unknown }
  /**
   * The host admitted the client as a peer (with the run's own ICE servers, for the hub's credential
   * refreshes) or observer, or dropped it (null: it may say hello again); the hub keeps the role.
   */
  | { t: 'role'; hub: HubId; sid: SocketId; role: 'peer' | 'observer' | null; peerId?: number; runIce?: IceServer[] }
  /** Close the client's connection (a timed-out peer). */
  | { t: 'disconnect'; hub: HubId; sid: SocketId }
  /** A new host took over: every hub says `hello` again for each client that had said it. */
  | { t: 'rehello' };
