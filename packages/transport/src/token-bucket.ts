/**
 * A token bucket: `rate` bytes per second, at most `burst` bytes saved up. A frame may leave while
 * the bucket is not in debt, and takes its size (the bucket may go negative), so frames larger than
 * the burst still pass and the long-run rate is exactly `rate`. Times are milliseconds.
 */
/** Bytes of debt treated as none: waiting exactly until readyAt may leave a rounding crumb. */
const EPSILON = 1e-6;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number | null,
    private readonly burst: number,
    now: number,
  ) {
    if (rate !== null && !(rate > 0 && Number.isFinite(rate))) throw new RangeError(`rate must be a positive number of bytes/s or null, got ${rate}`);
    if (!(burst >= 0 && Number.isFinite(burst))) throw new RangeError(`burst must be a non-negative number of bytes, got ${burst}`);
    this.tokens = burst;
    this.last = now;
  }

  get bytesPerSec(): number | null {
    return this.rate;
  }

  /** Change the rate (a volunteer moved their cap); what was saved up stays. */
  setRate(rate: number | null, now: number): void {
    if (rate !== null && !(rate > 0 && Number.isFinite(rate))) throw new RangeError(`rate must be a positive number of bytes/s or null, got ${rate}`);
    this.refill(now);
    this.rate = rate;
    if (rate === null) this.tokens = this.burst;
  }

  ready(now: number): boolean {
    if (this.rate === null) return true;
    this.refill(now);
    return this.tokens >= -EPSILON;
  }

  take(bytes: number, now: number): void {
    if (this.rate === null) return;
    this.refill(now);
    this.tokens -= bytes;
  }

  /** The earliest time the bucket is out of debt (now when it is). */
  readyAt(now: number): number {
    if (this.rate === null) return now;
    this.refill(now);
    return this.tokens >= -EPSILON ? now : now + (-this.tokens * 1000) / this.rate;
  }

  private refill(now: number): void {
    if (this.rate !== null && now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = Math.max(this.last, now);
  }
}
