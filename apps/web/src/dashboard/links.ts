import type { LinkReport } from '@starling/protocol';
import { DASH } from './format';

/**
 * A peer's links for the peers table: each neighbour with the route its connection took (host:
 * direct; srflx / prflx: direct through a NAT; relay: through the TURN server) and its round-trip
 * time, e.g. "→3 relay 12 ms · →5 host 1 ms".
 */
export function linksText(links: readonly LinkReport[] | undefined): string {
  if (links === undefined || links.length === 0) return DASH;
  return links.map((l) => `→${l.peer} ${l.route}${l.rttMs === null ? '' : ` ${formatRtt(l.rttMs)}`}`).join(' · ');
}

function formatRtt(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Links per route ("relay" -> 2), for the table cell's tooltip and the tests. */
export function routeCounts(links: readonly LinkReport[] | undefined): Partial<Record<LinkReport['route'], number>> {
  const out: Partial<Record<LinkReport['route'], number>> = {};
  for (const l of links ?? []) out[l.route] = (out[l.route] ?? 0) + 1;
  return out;
}
