import { isIP } from 'node:net';

/**
 * Who a request comes from, for the per-client limits. The TCP peer address, unless that address
 * is a reverse proxy the operator trusts (`--trust-proxy`): then the rightmost X-Forwarded-For
 * entry that is not itself a trusted proxy. Entries to the left of it were written by the client
 * and are never believed; without a trusted proxy the header is ignored entirely.
 */

/** `::ffff:10.0.0.1` -> `10.0.0.1`, so one IPv4 client has one key whichever socket family it used. */
export function normaliseAddress(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export class ClientAddresses {
  private readonly trusted: ReadonlySet<string>;

  constructor(trustedProxies: readonly string[]) {
    this.trusted = new Set(trustedProxies.map(normaliseAddress));
  }

  /** True when connections from `remote` carry other clients' traffic (its TCP-level count is not capped). */
  isTrustedProxy(remote: string | undefined): boolean {
    return this.trusted.size > 0 && this.trusted.has(normaliseAddress(remote));
  }

  /** The client address of a request that reached us from `remote` with these X-Forwarded-For headers. */
  resolve(remote: string | undefined, forwardedFor: string | string[] | undefined): string {
    const peer = normaliseAddress(remote);
    if (!this.isTrustedProxy(peer) || forwardedFor === undefined) return peer;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normaliseAddress(hops[i].trim());
      // A malformed entry ends the trust chain: the proxy itself is the best we know.
      if (isIP(hop) === 0) return peer;
      if (!this.trusted.has(hop)) return hop;
    }
    return peer;
  }
}
