import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { RunStatePayload } from '@starling/protocol';
import type { Server } from 'socket.io';
import { ServerConfigError } from '../errors';
import { AdapterBus } from './adapter-bus';
import { proxyRequest } from './http-proxy';
import { OwnerLease, type OwnerInfo } from './lease';

/**
 * One server process in a cluster of several that share a swarm through Redis:
 * - socket.io's Redis adapter links the processes (cluster/adapter-bus.ts carries the hub <-> host
 *   messages over it);
 * - one process owns the run (a lease in Redis, cluster/lease.ts): it opens the database on the
 *   shared data directory and hosts the run; the others forward their clients' events to it and
 *   pass the HTTP API on to it;
 * - when the owner dies its lease lapses, another process takes it, resumes the run from the
 *   database (history, checkpoints, sample total, next peer id) and every process's clients say
 *   hello again; the dead owner's own clients reconnect to the others;
 * - the admin token and the cluster's internal secret are shared through Redis, so the dashboard
 *   link any process prints works on all of them.
 */

const KEY = {
  owner: 'starling:owner',
  secrets: 'starling:secrets',
  run: 'starling:run',
  runState: 'starling:run-state',
} as const;

export interface ClusterOptions {
  redisUrl: string;
  /** How the other processes reach this one's HTTP API (its own listening address by default). */
  url: () => string;
  /** The owner renews its lease a few times per lease; a dead owner is replaced within about this long. */
  leaseMs: number;
  /** A forwarded HTTP request with no answer for this long gets a 504. */
  proxyTimeoutMs: number;
  /** This process's admin token when given on its command line (else the cluster's shared one). */
  adminToken?: string;
  /** The TLS certificate every process serves, trusted for forwarded requests. */
  tlsCert?: Buffer;
  log: (line: string) => void;
}

export interface OwnershipEvents {
  /** This process now owns the run; `takeover` when another process owned it before. */
  own(takeover: boolean): Promise<void>;
  /** This process lost the lease (Redis unreachable or too slow): it must stop hosting at once. */
  lose(): Promise<void>;
}

export class ClusterNode {
  readonly id = randomBytes(6).toString('hex');
  readonly bus: AdapterBus;
  private readonly lease: OwnerLease;
  private timer: ReturnType<typeof setInterval> | undefined;
  private owning = false;
  private sawOwner = false;
  private owner: OwnerInfo | null = null;
  private ticking = false;
  private closed = false;
  private renewedAt = 0;

  private constructor(
    private readonly o: ClusterOptions,
    private readonly redis: Redis,
    private readonly sub: Redis,
    io: Server,
    readonly adminToken: string,
    readonly clusterSecret: string,
  ) {
    this.bus = new AdapterBus(io, this.id, (what, e) => o.log(`cluster ${what}: ${(e as Error).stack ?? String(e)}`));
    this.lease = new OwnerLease(redis, KEY.owner, () => ({ id: this.id, url: o.url() }), o.leaseMs);
  }

  /** Connects to Redis, puts socket.io on the Redis adapter and reads (or makes) the shared secrets. */
  static async connect(io: Server, o: ClusterOptions): Promise<ClusterNode> {
    const redis = new Redis(o.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    const sub = redis.duplicate();
    // ioredis reconnects by itself; without a listener an 'error' event would be thrown.
    let lastError = '';
    for (const c of [redis, sub]) c.on('error', (e: Error) => void (e.message !== lastError && o.log(`redis: ${(lastError = e.message)}`)));
    try {
      await Promise.all([redis.connect(), sub.connect()]);
      watchSubscription(sub, o.log);
    } catch (e) {
      redis.disconnect();
      sub.disconnect();
      throw new ServerConfigError(`cannot reach Redis at ${o.redisUrl}: ${(e as Error).message}`);
    }
    await warnOnPubsubLimit(redis, o.log);
    const mine = JSON.stringify({ adminToken: o.adminToken ?? randomBytes(32).toString('base64url'), clusterSecret: randomBytes(32).toString('base64url') });
    await redis.set(KEY.secrets, mine, 'NX');
    const shared = JSON.parse((await redis.get(KEY.secrets)) ?? mine) as { adminToken: string; clusterSecret: string };
    io.adapter(createAdapter(redis, sub, { key: 'starling.io' }));
    return new ClusterNode(o, redis, sub, io, o.adminToken ?? shared.adminToken, shared.clusterSecret);
  }

  get isOwner(): boolean {
    return this.owning;
  }

  /** The owner as last seen (null while nobody holds the lease). */
  get ownerInfo(): OwnerInfo | null {
    return this.owning ? { id: this.id, url: this.o.url() } : this.owner;
  }

  /** Starts competing for the lease; `events.own` runs when this process gets it. */
  async start(events: OwnershipEvents): Promise<void> {
    await this.tick(events);
    this.timer = setInterval(() => void this.tick(events), Math.max(100, Math.floor(this.o.leaseMs / 5)));
    this.timer.unref();
  }

  /** The owner keeps the id of the run it hosts, so a process taking over resumes that one. */
  async recordRun(runId: string): Promise<void> {
    await this.redis.set(KEY.run, runId);
  }

  async recordRunState(runId: string, state: RunStatePayload): Promise<void> {
    await this.redis.set(KEY.runState, JSON.stringify({ runId, ...state }));
  }

  /** The paused / loss-rate switches of `runId` as the previous owner left them. */
  async runState(runId: string): Promise<RunStatePayload | null> {
    const v = await this.redis.get(KEY.runState);
    if (v === null) return null;
    try {
      const s = JSON.parse(v) as Partial<RunStatePayload> & { runId?: string };
      return s.runId === runId && typeof s.paused === 'boolean' && typeof s.lossRate === 'number' ? { paused: s.paused, lossRate: s.lossRate } : null;
    } catch {
      return null;
    }
  }

  /** A request this process cannot answer: passed on to the owner, or 503 while there is none. */
  forward(req: IncomingMessage, res: ServerResponse, clientAddress: string): void {
    const owner = this.ownerInfo;
    if (owner === null || owner.id === this.id) {
      const body = JSON.stringify({ error: { code: 'unavailable', message: 'no process owns the run right now (one is taking over); retry in a few seconds' } });
      res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Retry-After': '2' });
      res.end(body);
      return;
    }
    proxyRequest(req, res, {
      target: owner.url,
      clientAddress,
      clusterSecret: this.clusterSecret,
      ca: this.o.tlsCert,
      timeoutMs: this.o.proxyTimeoutMs,
      onError: (e) => this.o.log(`forwarding ${req.method} ${req.url?.slice(0, 100)} to the owner ${owner.url}: ${e.message}`),
    });
  }

  /** Gives the lease up (so another process takes over at once) and leaves Redis. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.bus.close();
    if (this.owning) await this.lease.release().catch(() => {});
    this.redis.disconnect();
    this.sub.disconnect();
  }

  private async stepDown(events: OwnershipEvents, why: string): Promise<void> {
    this.owning = false;
    this.o.log(`cluster: no longer hosting the run: ${why}`);
    await events.lose();
  }

  private async tick(events: OwnershipEvents): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      if (this.owning) {
        if (await this.lease.renew()) this.renewedAt = Date.now();
        else await this.stepDown(events, 'the lease went to another process');
        return;
      }
      if (await this.lease.acquire()) {
        this.owning = true;
        this.renewedAt = Date.now();
        const takeover = this.sawOwner;
        this.o.log(`cluster: process ${this.id} owns the run now${takeover ? ' (taking over)' : ''}`);
        try {
          await events.own(takeover);
        } catch (e) {
          // Cannot host (bad database, bad config): let another process try.
          this.o.log(`cluster: cannot host the run: ${(e as Error).message}`);
          this.owning = false;
          await this.lease.release().catch(() => {});
        }
        return;
      }
      this.owner = await this.lease.owner();
      if (this.owner !== null) this.sawOwner = true;
    } catch (e) {
      this.o.log(`cluster: ${(e as Error).message}`);
      // Redis unreachable: once the lease may have lapsed, another process may own the run.
      if (this.owning && Date.now() - this.renewedAt > this.o.leaseMs) await this.stepDown(events, 'the lease could not be renewed');
    } finally {
      this.ticking = false;
    }
  }
}

/**
 * Logs when the subscription connection drops after it was up: Redis closes a subscriber that fell
 * behind its output limit without an error, ioredis reconnects and resubscribes, and whatever the
 * other processes published meanwhile (welcomes, signals, epochs for this process's clients) is
 * gone. Those clients recover by timing out and saying hello again; the log says why.
 */
export function watchSubscription(sub: Pick<Redis, 'on'>, log: (line: string) => void): void {
  let drops = 0;
  sub.on('reconnecting', () => {
    drops++;
    log(
      `redis: the subscription connection dropped (${drops} time${drops === 1 ? '' : 's'} so far; Redis cuts a subscriber that passes ` +
        `client-output-buffer-limit pubsub, or it restarted): messages published meanwhile were lost; reconnecting`,
    );
  });
}

/** What Starling asks of Redis for a pub/sub subscriber (the README's deployment section; scripts/services.ts). */
export const RECOMMENDED_REDIS_PUBSUB_LIMIT = 'pubsub 512mb 256mb 60';
/** Below this, Redis's cap on one subscriber's pending pub/sub output is called out at start-up. */
const PUBSUB_HARD_LIMIT_MIN = 256 * 2 ** 20;

/**
 * Redis cuts off a pub/sub subscriber whose pending output passes `client-output-buffer-limit
 * pubsub` (32 MiB by default), and the socket.io adapter's messages to that process are lost. A
 * run of 500 peers on two processes passed the default within a minute (BENCHMARKS.md section 4).
 * Says so once at start-up; a Redis that refuses CONFIG (managed services) is not checked.
 */
export async function warnOnPubsubLimit(redis: Pick<Redis, 'call'>, log: (line: string) => void): Promise<void> {
  let hard: number;
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'client-output-buffer-limit')) as string[];
    const m = /pubsub (\d+) (\d+) (\d+)/.exec(reply[1] ?? '');
    if (m === null) return;
    hard = Number(m[1]);
  } catch {
    return;
  }
  if (hard === 0 || hard >= PUBSUB_HARD_LIMIT_MIN) return;
  log(
    `redis: client-output-buffer-limit pubsub is ${(hard / 2 ** 20).toFixed(0)} MiB; a busy run can pass it, and Redis then cuts a ` +
      `server process off its channel (lost messages). Raise it, e.g. CONFIG SET client-output-buffer-limit "${RECOMMENDED_REDIS_PUBSUB_LIMIT}" (README, several server processes).`,
  );
}

