import type { PeerFlagCode } from '@starling/protocol';
import { isDeparted, type PeerRow } from './peers-table';

/** What the owner is warned about, per flag code (PEER_FLAG_CODES in @starling/protocol). */
export const FLAG_TITLE: Record<PeerFlagCode, string> = {
  diverged: 'model diverged',
  'implausible-telemetry': 'implausible reports',
  'rejected-snapshot': 'snapshot rejected',
  'hostile-frames': 'hostile frames',
};

export interface PeerWarning {
  peerId: number;
  code: PeerFlagCode;
  message: string;
  /** The peer has left: the warning explains a departure rather than asking for action. */
  departed: boolean;
}

/** One warning per flag on the table's peers, live peers first (the table's own order). */
export function peerWarnings(rows: readonly PeerRow[]): PeerWarning[] {
  const out: PeerWarning[] = [];
  for (const { peer, status } of rows) {
    for (const f of peer.flags ?? []) out.push({ peerId: peer.id, code: f.code, message: f.message, departed: isDeparted(status) });
  }
  return out;
}
