import { io, type Socket } from 'socket.io-client';
import type { RejectedPayload, RunConfig, RunStatePayload, TaskInfo } from '@starling/protocol';
import type { DashPeersPayload, Evaluation, TopologyPayload } from './types';

/**
 * The dashboard's socket.io subscription as an observer. The event names and payloads are the
 * issue-4 contract; `hello` is sent on every (re)connection because the server forgets observers
 * whose connection dropped.
 */

export interface ObservingLive extends TopologyPayload {
  runId: string;
  config: RunConfig;
  task: TaskInfo;
}

export interface LiveEvents {
  observing: (p: ObservingLive) => void;
  peers: (p: DashPeersPayload) => void;
  'run-state': (p: RunStatePayload) => void;
  topology: (p: TopologyPayload) => void;
  /** Peers' epoch event; observers may receive it with the same shape as `topology`. */
  epoch: (p: TopologyPayload) => void;
  evaluation: (e: Evaluation) => void;
  'run-changed': (p: { runId: string }) => void;
  rejected: (p: RejectedPayload) => void;
}

interface LiveEmits {
  hello: (p: { role: 'observer'; backend: 'none' }) => void;
}

export interface LiveHandlers {
  onObserving(p: ObservingLive): void;
  onPeers(p: DashPeersPayload): void;
  onRunState(p: RunStatePayload): void;
  onTopology(p: TopologyPayload): void;
  onEvaluation(e: Evaluation): void;
  onRunChanged(runId: string): void;
  /** Connection state for the page: connected, or why not. */
  onConnection(connected: boolean, reason: string | null): void;
  onRejected(p: RejectedPayload): void;
}

export type SocketFactory = (url: string | undefined) => Socket<LiveEvents, LiveEmits>;

const defaultFactory: SocketFactory = (url) =>
  (url === undefined ? io({ transports: ['websocket', 'polling'] }) : io(url, { transports: ['websocket', 'polling'] })) as Socket<LiveEvents, LiveEmits>;

/** Connect and subscribe; returns the function that disconnects. */
export function subscribeLive(h: LiveHandlers, opts: { url?: string; connect?: SocketFactory } = {}): () => void {
  const socket = (opts.connect ?? defaultFactory)(opts.url);
  socket.on('connect', () => {
    h.onConnection(true, null);
    socket.emit('hello', { role: 'observer', backend: 'none' });
  });
  socket.on('disconnect', (reason) => h.onConnection(false, `disconnected (${reason}); reconnecting…`));
  socket.on('connect_error', (err) => h.onConnection(false, `cannot connect (${err.message}); retrying…`));
  socket.on('observing', (p) => h.onObserving(p));
  socket.on('peers', (p) => {
    if (isPeersPayload(p)) h.onPeers(p);
  });
  socket.on('run-state', (p) => h.onRunState(p));
  socket.on('topology', (p) => h.onTopology(p));
  socket.on('epoch', (p) => {
    if (Array.isArray(p?.members)) h.onTopology(p);
  });
  socket.on('evaluation', (e) => h.onEvaluation(e));
  socket.on('run-changed', (p) => h.onRunChanged(p.runId));
  socket.on('rejected', (p) => h.onRejected(p));
  return () => {
    socket.removeAllListeners();
    socket.disconnect();
  };
}

function isPeersPayload(p: unknown): p is DashPeersPayload {
  return typeof p === 'object' && p !== null && Array.isArray((p as DashPeersPayload).peers) && Number.isFinite((p as DashPeersPayload).at);
}
