import { HTTP_ERROR_CODES, REJECT_CODES, type HttpErrorCode, type RejectCode } from '@starling/protocol';

/**
 * Everything the server counts, over the life of the process; exposed (flattened) at GET /api/run
 * and GET /api/health. Every refusal of bad or excessive input lands in one of these, so an
 * attack shows up as numbers on the dashboard rather than as a dead server.
 */
export interface ServerCounters {
  connections: number;
  disconnections: number;
  peersJoined: number;
  observersJoined: number;
  /** Peers that left by `leave` or by disconnecting. */
  leaves: number;
  /** Peers dropped for silence (no event for peerTimeoutMs). */
  timeouts: number;
  /**
   * Sweeps that ran a whole period late (the server's event loop was blocked or starved), and
   * their total lateness: excused from the peers' silence rather than timing them out.
   */
  serverStalls: number;
  serverStalledMs: number;
  signalsRelayed: number;
  telemetryReports: number;
  /** Client events refused, in total and by reason. */
  rejected: number;
  rejectedByCode: Record<RejectCode, number>;
  /** HTTP requests answered with a 4xx (or refused by Node's parser / timeouts), in total and by error code. */
  httpErrors: number;
  httpErrorsByCode: Record<HttpErrorCode, number>;
  /** Requests whose client went away before the answer (aborted upload, closed tab). */
  httpClientsGone: number;
  /** TCP connections closed at once: their address already held maxConnectionsPerAddress. */
  connectionsRefused: number;
  /** Refused request bodies cut off after maxDiscardBytes (the connection was closed). */
  bodiesCut: number;
  /** Connections closed for flooding events (floodDisconnectAfter refusals in a row). */
  floodDisconnects: number;
  /** Clients disconnected for not reading: a lossless message found maxBufferedBytes waiting. */
  slowClientDisconnects: number;
  /** Periodic messages (`peers`) skipped for a client that had not read the previous ones. */
  sendsSkipped: number;
  /** socket.io protocol errors (undecodable packets); that connection is closed. */
  socketErrors: number;
  /** Telemetry reports refused as implausible (also in rejectedByCode['implausible-telemetry']). */
  telemetryImplausible: number;
  snapshotsAccepted: number;
  /** Uploads refused (bad token, rate, length, NaN/Inf, ...); also counted in httpErrors. */
  snapshotsRefused: number;
  /** Accepted snapshots replaced by a newer one before their evaluation started. */
  snapshotsSuperseded: number;
  evaluations: number;
  evaluationErrors: number;
  checkpointsSaved: number;
  /** Evaluated snapshots that passed the trust checks but came too soon after the last checkpoint. */
  checkpointsSkipped: number;
  /** Evaluated snapshots that failed the trust checks (stored as rejected, peer flagged). */
  snapshotsRejected: number;
  runsStarted: number;
  /** Owner task uploads stored, and refused (each refusal is also an httpErrors entry). */
  tasksUploaded: number;
  uploadsRefused: number;
  metricPoints: number;
  /** One-second points merged away by downsampling. */
  pointsDownsampled: number;
  /** Database writes that failed (logged); the server keeps serving. */
  storeErrors: number;
  /** Exceptions caught inside a handler (a bug, never a client's fault); the server kept running. */
  internalErrors: number;
  /** Exceptions no handler caught, stopped by the process guard (a bug); the server kept running. */
  uncaughtErrors: number;
}

export function createCounters(): ServerCounters {
  const byCode = {} as Record<RejectCode, number>;
  for (const c of REJECT_CODES) byCode[c] = 0;
  const httpByCode = {} as Record<HttpErrorCode, number>;
  for (const c of HTTP_ERROR_CODES) httpByCode[c] = 0;
  return {
    connections: 0,
    disconnections: 0,
    peersJoined: 0,
    observersJoined: 0,
    leaves: 0,
    timeouts: 0,
    serverStalls: 0,
    serverStalledMs: 0,
    signalsRelayed: 0,
    telemetryReports: 0,
    rejected: 0,
    rejectedByCode: byCode,
    httpErrors: 0,
    httpErrorsByCode: httpByCode,
    httpClientsGone: 0,
    connectionsRefused: 0,
    bodiesCut: 0,
    floodDisconnects: 0,
    slowClientDisconnects: 0,
    sendsSkipped: 0,
    socketErrors: 0,
    telemetryImplausible: 0,
    snapshotsAccepted: 0,
    snapshotsRefused: 0,
    snapshotsSuperseded: 0,
    evaluations: 0,
    evaluationErrors: 0,
    checkpointsSaved: 0,
    checkpointsSkipped: 0,
    snapshotsRejected: 0,
    runsStarted: 0,
    tasksUploaded: 0,
    uploadsRefused: 0,
    metricPoints: 0,
    pointsDownsampled: 0,
    storeErrors: 0,
    internalErrors: 0,
    uncaughtErrors: 0,
  };
}

/** `{ rejected: 1, rejectedByCode: { 'run-full': 1 } }` -> `{ rejected: 1, 'rejectedByCode.run-full': 1 }`. */
export function flattenCounters(c: ServerCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'number') out[k] = v;
    else for (const [sub, n] of Object.entries(v as Record<string, number>)) out[`${k}.${sub}`] = n;
  }
  return out;
}

/** Counts one refused client event under its code. */
export function countRejection(c: ServerCounters, code: RejectCode): void {
  c.rejected++;
  c.rejectedByCode[code]++;
}

/** Counts one refused HTTP request under its code. */
export function countHttpError(c: ServerCounters, code: HttpErrorCode): void {
  c.httpErrors++;
  c.httpErrorsByCode[code]++;
}
