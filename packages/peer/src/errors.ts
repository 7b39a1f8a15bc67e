/**
 * Errors a volunteer may see; each says what happened (`detail`) and what to do (`advice`, worded
 * for the contribute page: a headless peer words its own, see apps/cli/src/headless/advice.ts).
 */
export type PeerErrorCode =
  | 'server-unreachable'
  | 'server-rejected'
  | 'data-download-failed'
  | 'no-backend'
  | 'device-lost'
  | 'peer-connection-failed'
  | 'diverged'
  | 'internal';

const ADVICE: Record<PeerErrorCode, string> = {
  'server-unreachable': 'Check your network connection and that the run is still up, then reload the page.',
  'server-rejected': 'The server refused this peer; the run may be full or finished. Try again later.',
  'data-download-failed': 'The training data could not be downloaded. Reload the page to retry.',
  'no-backend': 'This browser could not run TensorFlow.js on any backend. Try a recent Chrome or Edge.',
  'device-lost': 'The GPU stopped responding (driver reset or tab in background). Reload to continue on a fresh device.',
  'peer-connection-failed': 'Direct connections to other volunteers failed; a firewall may block WebRTC.',
  internal: 'Something went wrong inside Starling. Reload the page; if it happens again, please report it with this message.',
  diverged: 'Training produced non-finite values; the step was discarded. The run owner may need a smaller learning rate.',
};

export class PeerError extends Error {
  override readonly name = 'PeerError';
  readonly advice: string;

  constructor(
    readonly code: PeerErrorCode,
    readonly detail: string,
  ) {
    super(`${detail} — ${ADVICE[code]}`);
    this.advice = ADVICE[code];
  }
}
