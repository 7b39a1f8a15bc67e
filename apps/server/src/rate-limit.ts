import type { RateLimit } from './tuning';

/** Token buckets for the per-client limits. Times are passed in, so tests drive them without waiting. */

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token (0 when one is available). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.limit.perSecond);
  }

  /** Full again: the bucket can be forgotten (a new one would be identical). */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.limit.burst;
  }

  private refill(now: number): void {
    // A clock that goes backwards refills nothing.
    const dt = Math.max(0, now - this.at);
    this.at = Math.max(this.at, now);
    this.tokens = Math.min(this.limit.burst, this.tokens + (dt * this.limit.perSecond) / 1000);
  }
}

/**
 * One bucket per key (client address). Keys whose bucket is full again are dropped once the map
 * passes `pruneAbove` entries, so memory follows the clients active now, not every address ever seen.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly pruneAbove = 10_000,
  ) {}

  take(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.pruneAbove) this.prune(now);
      b = new TokenBucket(this.limit, now);
      this.buckets.set(key, b);
    }
    return b.take(now);
  }

  waitMs(key: string, now: number): number {
    return this.buckets.get(key)?.waitMs(now) ?? 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
  }
}
