import { z } from 'zod';
import { PROTOCOL_LIMITS as L } from './limits';

/**
 * Schemas of every client -> server payload. The server validates each one before use: any
 * client may be malicious, so every number is bounded and finite and every string has a length cap.
 */

const count = z.int().min(0);
const nonNegative = z.number().min(0);
const name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only').min(1).max(L.maxNameChars);
export const peerIdSchema = z.int().min(0).max(L.maxPeerId);

export const helloSchema = z.strictObject({
  /** 'peer' trains and joins the topology; 'observer' (dashboard) only watches. */
  role: z.enum(['peer', 'observer']),
  /** TF.js backend actually in use ('webgpu', 'webgl', 'wasm', 'cpu'); observers send 'none'. */
  backend: name,
  device: z.string().max(L.maxDeviceChars).optional(),
  userAgent: z.string().max(L.maxUserAgentChars).optional(),
});
export type HelloPayload = z.output<typeof helloSchema>;

/* simple-peer's signal objects. Loose: browsers add fields; the JSON size check bounds them. */
const sdpSignal = z.looseObject({
  type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
  sdp: z.string().max(L.maxSdpChars).optional(),
});
const candidateSignal = z.looseObject({
  type: z.literal('candidate'),
  candidate: z.looseObject({
    candidate: z.string().max(L.maxCandidateChars),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.int().min(0).max(1024).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  }),
});
const renegotiateSignal = z.looseObject({ type: z.literal('renegotiate'), renegotiate: z.literal(true) });
const transceiverSignal = z.looseObject({
  type: z.literal('transceiverRequest'),
  transceiverRequest: z.looseObject({ kind: z.string().max(16) }),
});

/** JSON length of a value, or Infinity when it cannot be serialised. */
function jsonLength(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

export const signalDataSchema = z
  .discriminatedUnion('type', [sdpSignal, candidateSignal, renegotiateSignal, transceiverSignal])
  .superRefine((value, ctx) => {
    const n = jsonLength(value);
    if (n > L.maxSignalChars) {
      ctx.addIssue({ code: 'custom', message: `signal data is ${n} JSON characters; the limit is ${L.maxSignalChars}` });
    }
  });
export type SignalData = z.output<typeof signalDataSchema>;

export const signalSchema = z.strictObject({
  /** Peer id of the recipient (must be live in the same run). */
  to: peerIdSchema,
  data: signalDataSchema,
});
export type SignalPayload = z.output<typeof signalSchema>;

/**
 * How a link reached its neighbour, from the ICE candidate pair in use: 'host' (direct, LAN or one
 * machine), 'srflx' / 'prflx' (direct through a NAT, found by STUN or by the peers themselves) or
 * 'relay' (through a TURN server). The pair's most indirect side names it.
 */
export const LINK_ROUTES = ['host', 'srflx', 'prflx', 'relay'] as const;
export type LinkRoute = (typeof LINK_ROUTES)[number];

export const linkReportSchema = z.strictObject({
  peer: peerIdSchema,
  route: z.enum(LINK_ROUTES),
  /** The candidate pair's current round-trip time (STUN consent checks), in ms; null before the first one. */
  rttMs: z.number().min(0).max(600_000).nullable(),
});
export type LinkReport = z.output<typeof linkReportSchema>;

/**
 * What a peer's robust mixing held against one sender (issue 13): frames of it the algorithm saw,
 * refused for their content (finite but out of bounds, a seq jump) and clipped to the radius.
 */
export const senderEvidenceSchema = z.strictObject({
  peer: peerIdSchema,
  frames: count,
  refused: count,
  clipped: count,
  /** Model frames identical to the sender's previous one (a replay); absent from older peers. */
  frozen: count.default(0),
  /** Model frames taken unclipped but pointing against the reporter's own (a sign flip); absent from older peers. */
  opposed: count.default(0),
  /**
   * R-FAST running-sum frames stored, and those whose sum pointed against the reporter's own
   * outgoing one while its other senders' agreed; absent (0) from older
   * peers and other algorithms.
   */
  massFrames: count.optional(),
  massOpposed: count.optional(),
});
export type SenderEvidenceReport = z.output<typeof senderEvidenceSchema>;

export const telemetrySchema = z.strictObject({
  steps: count,
  samples: count,
  /** Latest training loss; null before the first step. Must be finite. */
  loss: z.number().nullable(),
  /** Latest test accuracy in [0, 1]; null or absent before the first evaluation. */
  accuracy: z.number().min(0).max(1).nullable().optional(),
  stepsPerSec: nonNegative,
  backend: name,
  bytesSent: count,
  bytesReceived: count,
  framesSent: count,
  framesReceived: count,
  framesLost: count,
  /** Frames the algorithm or decoder refused (bad size, old epoch, non-finite, unknown sender). */
  framesRejected: count,
  /** Milliseconds spent computing gradients since the previous report. */
  computeMs: nonNegative,
  /** Milliseconds spent encoding/sending/mixing since the previous report. */
  commMs: nonNegative,
  epoch: count,
  /** Data channels currently open to neighbours. */
  neighbours: z.int().min(0).max(L.maxNeighbours),
  /** Version age / staleness, for algorithms that track one (gossip, OSGP); absent otherwise. */
  staleness: z.number().min(0).max(1e9).nullable().optional(),
  /**
   * True once the peer's model or loss went non-finite and it gave up training (a non-finite loss
   * itself cannot travel: JSON has no NaN). Sent once, just before the peer leaves.
   */
  diverged: z.boolean().optional(),
  /**
   * R-FAST with compact frames: the tracker mass this peer pushed and its receivers have not yet
   * acknowledged, as a fraction of its latest gradient (L1 norms); an upper bound on its mass in transit.
   */
  massInTransit: z.number().min(0).max(1e9).nullable().optional(),
  /** Share of this peer's training time spent computing gradients, in [0, 1]. */
  computeShare: z.number().min(0).max(1).nullable().optional(),
  /** R-FAST: the share of its slots this peer sends per step now (its adaptive send budget, else its run's share), in (0, 1]. */
  sendShare: z.number().gt(0).max(1).nullable().optional(),
  /** Route and round-trip time of each open link (at most `maxLinksReported`, by neighbour id). */
  links: z.array(linkReportSchema).max(L.maxLinksReported).optional(),
  /** Senders this peer refused or clipped frames of (most refused first, at most `maxLinksReported`). */
  evidence: z.array(senderEvidenceSchema).max(L.maxLinksReported).optional(),
});
export type TelemetryPayload = z.output<typeof telemetrySchema>;

export const leaveSchema = z.strictObject({});
export type LeavePayload = z.output<typeof leaveSchema>;

/** Body of `POST /api/run/state` (dashboard control). At least one field. */
export const runStateUpdateSchema = z
  .strictObject({ paused: z.boolean().optional(), lossRate: z.number().min(0).max(1).optional() })
  .refine((u) => u.paused !== undefined || u.lossRate !== undefined, 'give paused and/or lossRate');
export type RunStateUpdate = z.output<typeof runStateUpdateSchema>;
