import { z } from 'zod';
import { validateWith, type Validation } from './issues';

/**
 * ICE servers as a peer hands them to RTCPeerConnection. The server sends each peer its list in
 * `welcome` (the run's own entries, the server's STUN, and TURN with time-limited credentials) and
 * again as `ice-servers` before those credentials expire; links opened after that use the new list.
 */

export const MAX_ICE_SERVERS = 8;

export const iceServerSchema = z.strictObject({
  urls: z.union([z.string().min(1).max(512), z.array(z.string().min(1).max(512)).min(1).max(8)]),
  username: z.string().max(256).optional(),
  credential: z.string().max(256).optional(),
});
export type IceServer = z.output<typeof iceServerSchema>;

export const iceServersPayloadSchema = z.strictObject({
  iceServers: z.array(iceServerSchema).max(MAX_ICE_SERVERS),
  /** Unix time (ms) at which the TURN credentials in the list stop working; null when nothing expires. */
  expiresAt: z.int().min(0).nullable(),
});
/** `welcome.ice` and the `ice-servers` event. */
export type IceServersPayload = z.output<typeof iceServersPayloadSchema>;

/** Peers check what they will hand to RTCPeerConnection, even from their own server. */
export const validateIceServers = (input: unknown): Validation<IceServersPayload> => validateWith(iceServersPayloadSchema, input);
