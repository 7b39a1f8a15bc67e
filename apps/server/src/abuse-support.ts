/** Helpers for the abuse tests: raw TCP/HTTP clients, and the checks made after every case. */
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HealthResponse } from '@starling/protocol';
import { expect } from 'vitest';
import type { RunningServer } from './server';

/** What a raw exchange saw: the first response's status and body, and how the connection ended. */
export interface RawReply {
  status: number | null;
  headers: string;
  body: string;
  /** Everything received (a second status line here would be a protocol error). */
  raw: string;
  closed: boolean;
}

/** An open TCP connection to the server, collecting everything it says. */
export class RawConnection {
  private received = '';
  closed = false;
  private readonly socket: Socket;
  private readonly opened: Promise<void>;

  constructor(port: number, localAddress?: string) {
    this.socket = connect({ port, host: '127.0.0.1', localAddress });
    this.socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {}); // EPIPE / ECONNRESET once the server has cut us off
    this.opened = new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  async write(data: string | Buffer): Promise<void> {
    await this.opened;
    if (this.closed || this.socket.destroyed) return;
    if (!this.socket.write(data)) await Promise.race([new Promise((r) => this.socket.once('drain', r)), this.until(() => this.closed, 2000).catch(() => {})]);
  }

  /** Waits until `cond()` holds (checking every few ms); rejects after `ms`. */
  async until(cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`raw connection: condition not met within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** True once a whole response (headers and Content-Length bytes of body) has arrived. */
  hasResponse(): boolean {
    const i = this.received.indexOf('\r\n\r\n');
    if (i < 0) return false;
    const len = /content-length:\s*(\d+)/i.exec(this.received.slice(0, i));
    return len === null || this.received.length >= i + 4 + Number(len[1]);
  }

  reply(): RawReply {
    const raw = this.received;
    const i = raw.indexOf('\r\n\r\n');
    const head = i < 0 ? raw : raw.slice(0, i);
    const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
    const len = /content-length:\s*(\d+)/i.exec(head);
    const body = i < 0 ? '' : raw.slice(i + 4, len === null ? undefined : i + 4 + Number(len[1]));
    return { status: m === null ? null : Number(m[1]), headers: head, body, raw, closed: this.closed };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The error code of a JSON error body, or null. */
export function errorCode(body: string): string | null {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

let gcFn: (() => void) | undefined;
/** V8 heap in use after a full collection (this thread's isolate: the in-process server's heap and the test's). */
export function heapAfterGc(): number {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed;
}

/**
 * The checks made after every abuse case: no exception escaped any handler, the server still
 * answers (GET /api/health), the heap stayed within `maxHeapGrowth` of where the suite started.
 */
export class AbuseProbe {
  private readonly escaped: unknown[] = [];
  private readonly onEscape = (e: unknown) => this.escaped.push(e);
  private heapAtStart = 0;

  constructor(
    private readonly server: () => RunningServer,
    private readonly maxHeapGrowth = 64 * 1024 * 1024,
  ) {}

  start(): void {
    process.on('uncaughtExceptionMonitor', this.onEscape);
    this.heapAtStart = heapAfterGc();
  }

  stop(): void {
    process.off('uncaughtExceptionMonitor', this.onEscape);
  }

  async health(): Promise<HealthResponse> {
    const res = await fetch(`${this.server().url}/api/health`);
    expect(res.status).toBe(200);
    return (await res.json()) as HealthResponse;
  }

  /** Resolves once `cond()` holds (polled every 10 ms); fails the test after `ms`. */
  async until(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** After a case: alive, nothing escaped, memory bounded; returns the health report. */
  async check(what: string, maxHeapGrowth = this.maxHeapGrowth): Promise<HealthResponse> {
    expect(this.escaped, `${what}: exceptions escaped the handlers`).toEqual([]);
    const h = await this.health();
    expect(h.counters.internalErrors, `${what}: internal errors`).toBe(0);
    expect(h.counters.uncaughtErrors, `${what}: uncaught errors`).toBe(0);
    const growth = heapAfterGc() - this.heapAtStart;
    expect(growth, `${what}: heap grew by ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(maxHeapGrowth);
    return h;
  }
}
