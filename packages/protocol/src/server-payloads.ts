import type { PeerId, PeerNeighbours } from '@starling/core';
import type { RunConfig } from './config';
import type { LinkReport, SignalData } from './client-payloads';
import type { IceServersPayload } from './ice';
import type { TaskInfo } from './task-info';

/** Server -> client payloads. The server is trusted by its clients, so these are types only. */

/** Sent once to a peer after a valid `hello`; `run-state` follows immediately. */
export interface WelcomePayload {
  peerId: PeerId;
  runId: string;
  config: RunConfig;
  /** Epoch the peer starts in; its neighbours' lists already include it. */
  epoch: number;
  neighbours: PeerNeighbours;
  /** The training shard to download: `url` is relative to the server origin. */
  shard: { index: number; count: number; url: string };
  /** URL of the task's test set, same payload format as a shard. */
  testUrl: string;
  /** What the run trains: the model every peer builds and how its data is laid out. */
  task: TaskInfo;
  /**
   * Secret for this peer's snapshot uploads (`POST /api/runs/:runId/snapshots`, header
   * `x-starling-token`); valid while the peer is live in this run.
   */
  uploadToken: string;
  /**
   * `/api/runs/:runId/checkpoint` when the run has a checkpoint, else null. A joiner starts from
   * it instead of x0 (algorithms.md 1.6). Relative to the server origin.
   */
  checkpointUrl: string | null;
  /**
   * No peer has reported a trained sample in this run yet (and there is no checkpoint): every
   * member still holds the run's x0, so a joiner starts there at once instead of asking its
   * neighbours for a copy (peers that start together would each wait out the hand-off timeout).
   */
  fresh: boolean;
  /**
   * ICE servers for the peer's RTCPeerConnections, with TURN credentials valid until
   * `ice.expiresAt`; fresh ones follow as `ice-servers` before then.
   */
  ice: IceServersPayload;
}

/** Directed out-neighbour lists of every live peer; JSON object keys are peer ids as strings. */
export interface TopologyEdges {
  rOut: Record<string, PeerId[]>;
  cOut: Record<string, PeerId[]>;
}

/** Sent to an observer (dashboard) after `hello` with role 'observer'; `run-state` and `peers` follow. */
export interface ObservingPayload {
  runId: string;
  config: RunConfig;
  task: TaskInfo;
  epoch: number;
  members: PeerId[];
  topology: TopologyEdges;
}

/** To observers on every join / leave / time-out: the new epoch's members and edges. */
export interface TopologyPayload {
  epoch: number;
  members: PeerId[];
  topology: TopologyEdges;
}

/** To every client when the admin starts a new run; peers also get a fresh `welcome`. */
export interface RunChangedPayload {
  runId: string;
}

export const EVALUATION_VERDICTS = ['checkpoint', 'trusted', 'rejected'] as const;
export type EvaluationVerdict = (typeof EVALUATION_VERDICTS)[number];

/**
 * A server-side evaluation of one peer's uploaded snapshot on the MNIST test set (computed by the
 * server, so it does not depend on what a volunteer claims). Broadcast as `evaluation`.
 */
export interface Evaluation {
  /** Unix time (ms) the evaluation finished. */
  t: number;
  runId: string;
  /** Whose snapshot it was. */
  peerId: PeerId;
  /** The peer's step count when it sent the snapshot (as the peer reported it). */
  snapshotSteps: number;
  /** How old the snapshot was when its evaluation finished (upload arrival -> t). */
  snapshotAgeMs: number;
  /** Run total of training samples (all peers) at time t. */
  samples: number;
  /** Fraction of correct predictions (per example, or per token of a text); null for regression. */
  accuracy: number | null;
  /**
   * The task's loss: mean cross-entropy per prediction, or mean squared error for regression;
   * null when it was not finite (NaN or Infinity, named in `reason`).
   */
  loss: number | null;
  /** Test examples (windows of a text) evaluated. */
  testCount: number;
  /**
   * What became of the snapshot: the run's new checkpoint, trusted but not kept (too soon after
   * the last checkpoint), or rejected by the trust checks (`reason` says why; its peer is flagged).
   */
  verdict: EvaluationVerdict;
  /** Why it was rejected; null unless `verdict` is 'rejected'. */
  reason: string | null;
  /** L2 norm and largest |value| of the snapshot's parameters; null for evaluations stored before they were measured. */
  paramNorm: number | null;
  maxAbs: number | null;
  /** Server time the evaluation took (ms). */
  evalMs: number;
}

/**
 * A new topology epoch (join, leave, time-out). Every live peer gets it: the epoch number tags
 * every data frame and all peers must reset their trackers together (algorithms.md 1.6).
 * The member list travels as a change against the previous epoch, which every live peer was told
 * about (the welcome carries the whole list): a join costs each peer a few bytes, not the whole
 * list, so announcing n joins costs O(n^2) bytes in all rather than O(n^3) (issue 13).
 * `applyMembersChange` (members.ts) turns it back into the list.
 */
export interface EpochPayload {
  epoch: number;
  /** This peer's lists on both graphs; the members come from `change`. */
  neighbours: Omit<PeerNeighbours, 'members'>;
  change: MembersChange;
}

/**
 * This peer's lists changed within its epoch (runs whose algorithm grows on joins, R-FAST): joiners
 * were attached to it (core's attachJoiner), or a neighbour left and the peers around it were
 * linked to each other (core's detachLeaver). Only the peers a change touches hear of it, and
 * nothing resets. `added` are the peers newly linked to it, `removed` the neighbours that left
 * the run, both for the member list. A peer not at `epoch` missed an epoch and joins again; so
 * does one that missed a grow of its epoch (`seq` skipped one).
 */
export interface GrowPayload {
  epoch: number;
  /** This peer's grows in `epoch`, counting from 1 (its welcome or the epoch's news is 0). */
  seq: number;
  neighbours: Omit<PeerNeighbours, 'members'>;
  added: PeerId[];
  removed: PeerId[];
}

/** Who joined and who left between epoch `base` and this one. */
export interface MembersChange {
  base: number;
  added: PeerId[];
  removed: PeerId[];
}

/** A WebRTC signal relayed from another peer of the run. */
export interface SignalRelayPayload {
  from: PeerId;
  data: SignalData;
}

export const REJECT_CODES = [
  /** The payload failed its schema (wrong types, missing fields, too large, not an object). */
  'invalid-payload',
  /** The event is not part of the protocol. */
  'unknown-event',
  /** `signal` / `telemetry` / `leave` before a valid `hello`. */
  'hello-required',
  /** A second `hello` on the same connection. */
  'already-joined',
  /** An observer sent a peer-only event. */
  'not-a-peer',
  /** `signal` to a peer that is not live in this run (or to oneself). */
  'unknown-peer',
  /** The run already has `maxPeers` live peers. */
  'run-full',
  /** Too many events (or joins) from this connection or address; slow down. */
  'rate-limited',
  /** This address already holds the most live peers one address may. */
  'address-full',
  /** A telemetry report outside physical bounds (counter went down, impossible rate, ...); the peer is flagged. */
  'implausible-telemetry',
  /**
   * Other peers refused this peer's frames for their content: it was ejected from the run, and its
   * address may not join again for a while (SERVER_TUNING.hostileFrames.ejectMs).
   */
  'ejected',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

/** The server refused one client event; the connection stays open. */
export interface RejectedPayload {
  /** The event name that was refused (truncated when absurdly long). */
  event: string;
  code: RejectCode;
  message: string;
}

/** Run-wide switches the dashboard can change while peers run. */
export interface RunStatePayload {
  paused: boolean;
  lossRate: number;
}

export type PeerState = 'live' | 'left' | 'timed-out';

/**
 * Why the server thinks the owner should look at a peer. One list per peer, so every check that
 * can single a peer out (a diverged model, implausible reports, a rejected snapshot...) adds a code
 * here and shows up on the dashboard the same way.
 */
export const PEER_FLAG_CODES = [
  /** Its model went non-finite (it said so), or its loss is far above the run's median. */
  'diverged',
  /** A telemetry report outside physical bounds was refused (counters going down, impossible rates, ...). */
  'implausible-telemetry',
  /** A snapshot failed the checkpoint trust checks (non-finite or far worse loss, norm off the consensus). */
  'rejected-snapshot',
  /** Several peers' robust mixing refused its frames for their content, or clipped most of them. */
  'hostile-frames',
] as const;
export type PeerFlagCode = (typeof PEER_FLAG_CODES)[number];

export interface PeerFlag {
  code: PeerFlagCode;
  /** For the owner: what was seen, with the numbers (the latest occurrence). */
  message: string;
  /** Unix time (ms) the flag was first raised (it stays while the condition holds). */
  since: number;
  /** How often it was raised (refused reports, rejected snapshots). */
  count: number;
}

/** One row of the dashboard's peer table. */
export interface PeerSummary {
  id: PeerId;
  state: PeerState;
  backend: string;
  device?: string;
  shard: number;
  /** Epoch the peer last reported. */
  epoch: number;
  steps: number;
  samples: number;
  loss: number | null;
  accuracy: number | null;
  stepsPerSec: number;
  /** Connected data channels the peer last reported. */
  neighbours: number;
  framesLost: number;
  framesRejected: number;
  /** Frames sent / received, as last reported (absent before the first report). */
  framesSent?: number;
  framesReceived?: number;
  /** Milliseconds computing gradients / communicating, summed over every report since the peer joined. */
  computeMs?: number;
  commMs?: number;
  /** Staleness as last reported, when the peer's algorithm reports one. */
  staleness?: number | null;
  /** R-FAST: mass pushed and not yet acknowledged, as a fraction of the peer's gradient (last report). */
  massInTransit?: number | null;
  /** Share of the peer's training time spent computing gradients (last report). */
  computeShare?: number | null;
  /** R-FAST: the share of its slots the peer sends per step (its adaptive send budget, else its run's share; last report). */
  sendShare?: number | null;
  /** Its open links as last reported: the route each one took (host, srflx, relay) and its round-trip time. */
  links?: LinkReport[];
  /** Unix time (ms) of the last event from the peer. */
  lastSeen: number;
  /** Unix time (ms) of its `hello`. */
  joinedAt: number;
  /** Problems the server sees with this peer; empty when none. */
  flags: PeerFlag[];
}

/** Broadcast to observers about once a second. */
export interface PeersPayload {
  /** Unix time (ms) the summary was made. */
  at: number;
  epoch: number;
  peers: PeerSummary[];
}
