import type { PeerErrorCode } from '@starling/peer';

/**
 * What a terminal user can do about each peer error. The peer's own advice speaks to a person in a
 * browser tab ("reload the page"); here there is a command line and a process to restart instead.
 */
export const TERMINAL_ADVICE: Record<PeerErrorCode, string> = {
  'server-unreachable': 'check --server (is the server running and reachable from here?), then start the peer again',
  'server-rejected': 'the server refused this peer (the run may be full, finished, or limit peers per address); try again later',
  'data-download-failed': 'the training data could not be downloaded; check the server is up and start the peer again',
  'no-backend': 'TensorFlow.js could not run on any backend here; try --backends cpu, or reinstall with npm ci',
  'device-lost': 'the compute device stopped responding; start the peer again',
  'peer-connection-failed': 'no WebRTC connection to another peer; a firewall may block UDP, or the run may need a TURN server (--turn on the server)',
  internal: 'an error inside Starling; start the peer again, and if it repeats, report it with this message',
  diverged: 'training produced non-finite values; the run owner may need a smaller learning rate',
};
