/**
 * Link shapes: what a peer's uplink carries and how late it arrives. Every comparison runs on two
 * named profiles, so that a result on loopback (where links are nearly free) is never read as a
 * result for volunteers on the internet.
 */
export interface LinkShape {
  /** Bytes per second a peer's uplink carries, shared by all its links; null = not limited. */
  uplinkBytesPerSec: number | null;
  /** One-way latency added to every frame, milliseconds. */
  latencyMs: number;
}

export const LINK_PROFILES = {
  /** Unshaped: whatever the machine's own links do (two Chromium tabs: about 40 MB/s, sub-ms). */
  loopback: { uplinkBytesPerSec: null, latencyMs: 0 },
  /** A home connection: 2.5 MB/s (20 Mbit/s) uplink, 20 ms one way. */
  home: { uplinkBytesPerSec: 2_500_000, latencyMs: 20 },
} as const satisfies Record<string, LinkShape>;

export type LinkProfileName = keyof typeof LINK_PROFILES;

export const LINK_PROFILE_NAMES = Object.keys(LINK_PROFILES) as [LinkProfileName, ...LinkProfileName[]];

/** The shape a volunteer's own cap leaves: the lower of the run's uplink and the cap. */
export function capUplink(shape: LinkShape, capBytesPerSec: number | null): LinkShape {
  if (capBytesPerSec === null || !(capBytesPerSec > 0)) return shape;
  const run = shape.uplinkBytesPerSec;
  return { ...shape, uplinkBytesPerSec: run === null ? capBytesPerSec : Math.min(run, capBytesPerSec) };
}
