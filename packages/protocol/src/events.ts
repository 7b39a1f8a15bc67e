import type { z } from 'zod';
import {
  helloSchema,
  leaveSchema,
  signalSchema,
  telemetrySchema,
  type HelloPayload,
  type LeavePayload,
  type SignalPayload,
  type TelemetryPayload,
} from './client-payloads';
import type { IceServersPayload } from './ice';
import { validateWith, type Validation } from './issues';
import type {
  EpochPayload,
  GrowPayload,
  Evaluation,
  RunChangedPayload,
  TopologyPayload,
  ObservingPayload,
  PeersPayload,
  RejectedPayload,
  RunStatePayload,
  SignalRelayPayload,
  WelcomePayload,
} from './server-payloads';

/**
 * socket.io event maps: `new Server<ClientToServer, ServerToClient>()` on the server and
 * `io() as Socket<ServerToClient, ClientToServer>` in a client. The server must still validate
 * every client payload (`validateClientPayload`): the types describe honest clients only.
 */
export interface ClientToServer {
  hello: (payload: HelloPayload) => void;
  signal: (payload: SignalPayload) => void;
  telemetry: (payload: TelemetryPayload) => void;
  leave: (payload: LeavePayload) => void;
}

export interface ServerToClient {
  welcome: (payload: WelcomePayload) => void;
  observing: (payload: ObservingPayload) => void;
  epoch: (payload: EpochPayload) => void;
  /** Peers only: joiners attached to this peer within its epoch. */
  grow: (payload: GrowPayload) => void;
  signal: (payload: SignalRelayPayload) => void;
  rejected: (payload: RejectedPayload) => void;
  'run-state': (payload: RunStatePayload) => void;
  peers: (payload: PeersPayload) => void;
  /** Observers only. */
  topology: (payload: TopologyPayload) => void;
  /** Observers only, after each server evaluation of a snapshot. */
  evaluation: (payload: Evaluation) => void;
  'run-changed': (payload: RunChangedPayload) => void;
  /** Peers only: fresh ICE servers (TURN credentials) before the ones they have expire. */
  'ice-servers': (payload: IceServersPayload) => void;
}

export type ClientEvent = keyof ClientToServer;
export type ServerEvent = keyof ServerToClient;

/** The schema of each client event; the keys are exactly the client events. */
export const clientPayloadSchemas = {
  hello: helloSchema,
  signal: signalSchema,
  telemetry: telemetrySchema,
  leave: leaveSchema,
} as const satisfies { [E in ClientEvent]: z.ZodType<Parameters<ClientToServer[E]>[0]> };

export const CLIENT_EVENTS = Object.keys(clientPayloadSchemas) as ClientEvent[];

export function isClientEvent(name: unknown): name is ClientEvent {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(clientPayloadSchemas, name);
}

export const validateHello = (input: unknown): Validation<HelloPayload> => validateWith(helloSchema, input);
export const validateSignal = (input: unknown): Validation<SignalPayload> => validateWith(signalSchema, input);
export const validateTelemetry = (input: unknown): Validation<TelemetryPayload> => validateWith(telemetrySchema, input);
export const validateLeave = (input: unknown): Validation<LeavePayload> => validateWith(leaveSchema, input);

export type ClientPayload<E extends ClientEvent> = Parameters<ClientToServer[E]>[0];

/** Validate the payload of any client event by name. */
export function validateClientPayload<E extends ClientEvent>(event: E, input: unknown): Validation<ClientPayload<E>> {
  return validateWith(clientPayloadSchemas[event], input) as Validation<ClientPayload<E>>;
}
