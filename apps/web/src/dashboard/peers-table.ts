import type { PeerId } from '@starling/core';
import type { DashPeer, DashPeersPayload } from './types';

/**
 * State of the live peers table. The server lists departed peers for a while and then forgets
 * them; the table keeps them (greyed) until `departedKept` newer departures push them out, so a
 * peer never silently vanishes from the owner's view.
 */

/** How a peer is drawn: the server's state, with live peers split into healthy and slow. */
export type PeerDisplayState = 'live' | 'slow' | 'left' | 'timed-out';

export interface PeerRow {
  peer: DashPeer;
  status: PeerDisplayState;
}

export interface PeersTableState {
  /** Time (server clock) of the latest payload applied. */
  at: number;
  epoch: number;
  rows: PeerRow[];
}

export type PeersTableAction = { type: 'peers'; payload: DashPeersPayload } | { type: 'reset' };

export interface PeersTableLimits {
  departedKept: number;
  slowFraction: number;
  slowSilenceMs: number;
}

export const EMPTY_PEERS_TABLE: PeersTableState = { at: 0, epoch: 0, rows: [] };

export function isDeparted(status: PeerDisplayState): boolean {
  return status === 'left' || status === 'timed-out';
}

export function makePeersTableReducer(limits: PeersTableLimits) {
  return function peersTableReducer(state: PeersTableState, action: PeersTableAction): PeersTableState {
    if (action.type === 'reset') return EMPTY_PEERS_TABLE;
    const p = action.payload;
    if (!Number.isFinite(p.at) || p.at < state.at) return state;
    const listed = new Map<PeerId, DashPeer>();
    for (const peer of p.peers) listed.set(peer.id, peer);
    const departed: PeerRow[] = [];
    for (const row of state.rows) {
      if (listed.has(row.peer.id)) continue;
      // The server no longer lists it: it left at some point; keep what we last knew.
      const status: PeerDisplayState = isDeparted(row.status) ? row.status : 'left';
      departed.push({ peer: { ...row.peer, state: status === 'timed-out' ? 'timed-out' : 'left' }, status });
    }
    const median = medianLiveRate(p.peers);
    const current: PeerRow[] = p.peers.map((peer) => ({ peer, status: displayState(peer, p.at, median, limits) }));
    const live = current.filter((r) => !isDeparted(r.status)).sort((a, b) => a.peer.id - b.peer.id);
    const gone = [...current.filter((r) => isDeparted(r.status)), ...departed]
      .sort((a, b) => b.peer.lastSeen - a.peer.lastSeen || a.peer.id - b.peer.id)
      .slice(0, limits.departedKept);
    return { at: p.at, epoch: p.epoch, rows: [...live, ...gone] };
  };
}

function displayState(peer: DashPeer, at: number, medianRate: number, limits: PeersTableLimits): PeerDisplayState {
  if (peer.state !== 'live') return peer.state;
  const silent = at - peer.lastSeen > limits.slowSilenceMs;
  const lagging = medianRate > 0 && peer.stepsPerSec < limits.slowFraction * medianRate;
  return silent || lagging ? 'slow' : 'live';
}

function medianLiveRate(peers: readonly DashPeer[]): number {
  const rates = peers.filter((p) => p.state === 'live' && Number.isFinite(p.stepsPerSec)).map((p) => p.stepsPerSec);
  if (rates.length === 0) return 0;
  rates.sort((a, b) => a - b);
  const mid = rates.length >> 1;
  return rates.length % 2 === 1 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

/**
 * Share of the peer's training time spent computing gradients: as the peer measures it against its
 * wall clock when it reports that, else computing against communicating; null when unknown.
 */
export function computeShare(peer: DashPeer): number | null {
  if (typeof peer.computeShare === 'number') return peer.computeShare;
  const c = peer.computeMs;
  const m = peer.commMs;
  if (typeof c !== 'number' || typeof m !== 'number' || !(c + m > 0)) return null;
  return c / (c + m);
}

/** Run-wide mass in transit: the mean of the live peers' reports, or null when none reports it. */
export function meanMassInTransit(rows: readonly PeerRow[]): number | null {
  const xs = rows.filter((r) => !isDeparted(r.status) && typeof r.peer.massInTransit === 'number').map((r) => r.peer.massInTransit as number);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Live peers' display states by id, for colouring the topology. */
export function statusById(state: PeersTableState): Map<PeerId, PeerDisplayState> {
  return new Map(state.rows.map((r) => [r.peer.id, r.status]));
}
