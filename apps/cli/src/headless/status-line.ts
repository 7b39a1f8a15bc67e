/** The peer's status as one line for the terminal (`--json` prints the PeerStatus object itself). */
import type { PeerStatus } from '@starling/peer';
import { TERMINAL_ADVICE } from './advice';

export function statusText(s: PeerStatus): string {
  const who = s.peerId === null ? 'peer (no id yet)' : `peer ${s.peerId}`;
  if (s.phase === 'error') return s.error === null ? `${who} error (no detail)` : `${who} error: ${s.error.detail} — ${TERMINAL_ADVICE[s.error.code]}`;
  const parts = [
    `${who} ${s.phase}`,
    s.backend ?? 'no backend yet',
    s.kernels ? `kernels ${s.kernels}` : null,
    s.algorithm ? `${s.algorithm} epoch ${s.epoch}` : null,
    `${s.neighboursOpen}/${s.neighboursWanted} links`,
    `${s.steps} steps (${s.stepsPerSec.toFixed(1)}/s)`,
    s.loss === null ? null : `loss ${s.loss.toFixed(4)}`,
    s.accuracy === null ? null : `accuracy ${(100 * s.accuracy).toFixed(1)}%`,
    `frames in ${s.framesReceived} lost ${s.framesLost} rejected ${s.framesRejected}`,
  ];
  return parts.filter((p) => p !== null).join(' · ');
}
