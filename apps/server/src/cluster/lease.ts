import type { Redis } from 'ioredis';

/**
 * Which process of a cluster owns the run: a lease in Redis (`SET key value NX PX ms`) that the
 * owner renews well before it lapses. When the owner dies, its lease lapses and another process
 * takes it. Renewal and release check the value first (one Lua script each), so a process whose
 * lease already went to another never extends or deletes the new owner's.
 */

/** What the lease names: the owning process and where the others reach its HTTP API. */
export interface OwnerInfo {
  id: string;
  url: string;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class OwnerLease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    /** Read when the lease is taken (the URL is known once the process listens). */
    private readonly me: () => OwnerInfo,
    private readonly leaseMs: number,
  ) {}

  private get value(): string {
    return JSON.stringify(this.me());
  }

  /** Take the lease if nobody holds it; true when we hold it now. */
  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.value, 'PX', this.leaseMs, 'NX')) === 'OK';
  }

  /** Extend our lease; false when it is no longer ours (it lapsed and another took it). */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, this.value, String(this.leaseMs))) === 1;
  }

  /** Give the lease up now (a clean shutdown), so another process need not wait for it to lapse. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.value);
  }

  /** The current owner, or null when the lease is free. */
  async owner(): Promise<OwnerInfo | null> {
    const v = await this.redis.get(this.key);
    if (v === null) return null;
    try {
      const o = JSON.parse(v) as Partial<OwnerInfo>;
      return typeof o.id === 'string' && typeof o.url === 'string' ? { id: o.id, url: o.url } : null;
    } catch {
      return null;
    }
  }
}
