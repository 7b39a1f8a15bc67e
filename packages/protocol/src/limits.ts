/**
 * Size bounds of everything a client may send. Any peer can be malicious, so every string and
 * array in a client payload has a ceiling here; the server's socket.io buffer limit must stay
 * above MAX_SIGNAL_CHARS so an oversized signal is rejected by validation (and counted) instead
 * of the transport silently dropping the connection.
 */
export const PROTOCOL_LIMITS = {
  /** JSON length (characters) of one `signal` payload's `data`. An SDP offer is about 1-4 KiB. */
  maxSignalChars: 64 * 1024,
  /** Length of an SDP blob inside a signal. */
  maxSdpChars: 60 * 1024,
  /** Length of an ICE candidate line. */
  maxCandidateChars: 1024,
  /** Backend / identifier names ('webgpu', 'wasm', ...). */
  maxNameChars: 32,
  /** Free-text device description. */
  maxDeviceChars: 256,
  /** Browser user agent string. */
  maxUserAgentChars: 512,
  /** Highest peer id a client may name (ids increase per join; 2^31 is far beyond any run). */
  maxPeerId: 2 ** 31 - 1,
  /** Neighbour count a peer may report (maxPeers is at most this). */
  maxNeighbours: 4096,
  /** Links a peer describes in one telemetry report (route and round-trip time each). */
  maxLinksReported: 64,
} as const;
