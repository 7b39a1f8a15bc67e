import { ClientAddresses } from './client-address';
import { KeyedBuckets, TokenBucket } from './rate-limit';
import type { ServerTuning } from './tuning';

/**
 * The per-client limits, in one place: open connections, seats (live peers) and joins per client
 * address, HTTP requests per address, and events per connection. One client may not take the
 * run's seats, churn everyone's epoch by joining and leaving, or flood the event loop.
 */

export type JoinVerdict = { ok: true } | { ok: false; code: 'rate-limited' | 'address-full'; message: string; retryMs?: number };

/** Counts per address; an entry is deleted when it drops to zero. */
class Tally {
  private readonly n = new Map<string, number>();

  get(key: string): number {
    return this.n.get(key) ?? 0;
  }

  add(key: string, d: 1 | -1): void {
    const v = this.get(key) + d;
    if (v <= 0) this.n.delete(key);
    else this.n.set(key, v);
  }

  get size(): number {
    return this.n.size;
  }
}

export class ClientGate {
  readonly addresses: ClientAddresses;
  private readonly tcp = new Tally();
  private readonly sockets = new Tally();
  private readonly seats = new Tally();
  private readonly joins: KeyedBuckets;
  private readonly requests: KeyedBuckets;

  constructor(
    private readonly tuning: ServerTuning,
    trustProxy: readonly string[],
    private readonly clock: () => number,
  ) {
    this.addresses = new ClientAddresses(trustProxy);
    this.joins = new KeyedBuckets(tuning.joinsPerAddress);
    this.requests = new KeyedBuckets(tuning.httpRequestsPerAddress);
  }

  /**
   * A TCP connection from `remote` opened: false when the address already holds
   * `maxConnectionsPerAddress` (close it). A trusted proxy's connections are not capped here;
   * socket.io connections are capped per forwarded address instead (`socketOpened`).
   */
  tcpOpened(remote: string | undefined): boolean {
    if (this.addresses.isTrustedProxy(remote)) return true;
    const key = this.addresses.resolve(remote, undefined);
    if (this.tcp.get(key) >= this.tuning.maxConnectionsPerAddress) return false;
    this.tcp.add(key, 1);
    return true;
  }

  tcpClosed(remote: string | undefined): void {
    if (!this.addresses.isTrustedProxy(remote)) this.tcp.add(this.addresses.resolve(remote, undefined), -1);
  }

  /** A socket.io connection of client `address`: false when it holds the cap already. */
  socketOpened(address: string): boolean {
    if (this.sockets.get(address) >= this.tuning.maxConnectionsPerAddress) return false;
    this.sockets.add(address, 1);
    return true;
  }

  socketClosed(address: string): void {
    this.sockets.add(address, -1);
  }

  /** 0 when client `address` may make an HTTP request now, else the ms until it may. */
  requestWaitMs(address: string): number {
    const now = this.clock();
    return this.requests.take(address, now) ? 0 : Math.max(1, this.requests.waitMs(address, now));
  }

  /** May client `address` join as a peer now? Takes a join token when it may. */
  join(address: string): JoinVerdict {
    const held = this.seats.get(address);
    if (held >= this.tuning.maxPeersPerAddress) {
      return { ok: false, code: 'address-full', message: `your address already holds ${held} peers, the most one address may (maxPeersPerAddress)` };
    }
    const now = this.clock();
    if (!this.joins.take(address, now)) {
      const retryMs = this.joins.waitMs(address, now);
      return { ok: false, code: 'rate-limited', message: `too many joins from your address; try again in ${retryMs} ms`, retryMs };
    }
    return { ok: true };
  }

  seatTaken(address: string): void {
    this.seats.add(address, 1);
  }

  seatFreed(address: string): void {
    this.seats.add(address, -1);
  }

  /** Addresses tracked now (for the memory bound: it follows the clients connected, not all ever seen). */
  tracked(): { tcp: number; sockets: number; seats: number; joinBuckets: number; requestBuckets: number } {
    return { tcp: this.tcp.size, sockets: this.sockets.size, seats: this.seats.size, joinBuckets: this.joins.size, requestBuckets: this.requests.size };
  }
}

export type EventVerdict = 'ok' | 'refuse' | 'refuse-quietly' | 'disconnect';

/**
 * Events of one connection: `signal`s and everything else have their own buckets. The first event
 * refused in a row gets a `rejected` reply, the rest are only counted (replying to a flood would
 * be a flood), and `floodDisconnectAfter` refusals in a row close the connection.
 */
export class ConnectionLimiter {
  private readonly signals: TokenBucket;
  private readonly events: TokenBucket;
  private refusedInRow = 0;

  constructor(
    tuning: ServerTuning,
    now: number,
    private readonly floodAfter = tuning.floodDisconnectAfter,
  ) {
    this.signals = new TokenBucket(tuning.signalsPerConnection, now);
    this.events = new TokenBucket(tuning.eventsPerConnection, now);
  }

  check(event: unknown, now: number): EventVerdict {
    const bucket = event === 'signal' ? this.signals : this.events;
    if (bucket.take(now)) {
      this.refusedInRow = 0;
      return 'ok';
    }
    this.refusedInRow++;
    if (this.refusedInRow >= this.floodAfter) return 'disconnect';
    return this.refusedInRow === 1 ? 'refuse' : 'refuse-quietly';
  }
}
