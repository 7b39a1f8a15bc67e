import type { PeerId } from '@starling/core';
import type { PeerFlag, PeerFlagCode, PeerState, PeerSummary, TelemetryPayload } from '@starling/protocol';

/**
 * What the server knows about each peer for the dashboard and for liveness: identity, the latest
 * telemetry, a bounded history of reports and when it was last heard from. Times are passed in,
 * so the table is deterministic under test.
 */

export interface TelemetrySample extends TelemetryPayload {
  /** Unix time (ms) the report arrived. */
  at: number;
}

/** Fixed-capacity FIFO: the oldest sample is overwritten once full. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.items[(this.head + this.size) % this.capacity] = item;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
  }

  get length(): number {
    return this.size;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.head + i) % this.capacity] as T);
    return out;
  }
}

interface PeerRecord {
  id: PeerId;
  state: PeerState;
  backend: string;
  device?: string;
  shard: number;
  joinedAt: number;
  lastSeen: number;
  /** The table's `excusedMs` when lastSeen was last set (see `excuse`). */
  excusedAtSeen: number;
  latest?: TelemetrySample;
  history: RingBuffer<TelemetrySample>;
  /** Sums of the per-report computeMs / commMs since the peer joined. */
  computeMs: number;
  commMs: number;
  flags: PeerFlag[];
}

const MAX_FLAG_MESSAGE_CHARS = 300;

export interface PeerTableLimits {
  /** Reports kept per peer. */
  history: number;
  /** Departed peers kept before the oldest is dropped. */
  departedKept: number;
}

export class PeerTable {
  private readonly records = new Map<PeerId, PeerRecord>();
  /** Departed peers, oldest first, to bound memory over a long run. */
  private readonly departed: PeerId[] = [];
  /** Server stalls excused so far, in ms (see `excuse`). */
  private excusedMs = 0;

  constructor(private readonly limits: PeerTableLimits) {}

  add(id: PeerId, info: { backend: string; device?: string; shard: number }, now: number): void {
    this.records.set(id, {
      id,
      state: 'live',
      backend: info.backend,
      device: info.device,
      shard: info.shard,
      joinedAt: now,
      lastSeen: now,
      excusedAtSeen: this.excusedMs,
      history: new RingBuffer<TelemetrySample>(this.limits.history),
      computeMs: 0,
      commMs: 0,
      flags: [],
    });
  }

  /** Note that a live peer was heard from. */
  touch(id: PeerId, now: number): void {
    const r = this.records.get(id);
    if (r !== undefined && r.state === 'live') this.heard(r, now);
  }

  private heard(r: PeerRecord, now: number): void {
    if (now < r.lastSeen) return;
    r.lastSeen = now;
    r.excusedAtSeen = this.excusedMs;
  }

  /**
   * The server itself could not listen for `ms` (its event loop was blocked, or the process got
   * no CPU): that time does not count as any peer's silence. Without this, the first sweep after
   * a stall ran before the reports queued during it were read (Node runs timers before it polls
   * sockets) and timed out every live peer at once.
   */
  excuse(ms: number): void {
    if (ms > 0) this.excusedMs += ms;
  }

  record(id: PeerId, t: TelemetryPayload, now: number): void {
    const r = this.records.get(id);
    if (r === undefined || r.state !== 'live') return;
    const sample: TelemetrySample = { ...t, at: now };
    r.latest = sample;
    r.backend = t.backend;
    r.computeMs += t.computeMs;
    r.commMs += t.commMs;
    r.history.push(sample);
    this.heard(r, now);
    if (t.diverged === true) this.flag(id, 'diverged', 'its model went non-finite and it stopped training', now);
  }

  /**
   * Raise (or re-word) a flag on a known peer, live or departed; `since` stays that of the first
   * raise, `count` says how often it was raised (one flag per code, so the list stays short).
   */
  flag(id: PeerId, code: PeerFlagCode, message: string, now: number): void {
    const r = this.records.get(id);
    if (r === undefined) return;
    const text = message.slice(0, MAX_FLAG_MESSAGE_CHARS);
    const f = r.flags.find((x) => x.code === code);
    if (f !== undefined) {
      f.message = text;
      f.count++;
    } else r.flags.push({ code, message: text, since: now, count: 1 });
  }

  /** The peer's flags (copies). */
  flags(id: PeerId): PeerFlag[] {
    return (this.records.get(id)?.flags ?? []).map((f) => ({ ...f }));
  }

  /** Clear a flag whose condition no longer holds. */
  unflag(id: PeerId, code: PeerFlagCode): void {
    const r = this.records.get(id);
    if (r !== undefined) r.flags = r.flags.filter((x) => x.code !== code);
  }

  hasFlag(id: PeerId, code: PeerFlagCode): boolean {
    return this.records.get(id)?.flags.some((x) => x.code === code) ?? false;
  }

  /** Mark a peer gone; its record stays for the dashboard until `departedKept` newer ones exist. */
  markGone(id: PeerId, state: Exclude<PeerState, 'live'>, now: number): void {
    const r = this.records.get(id);
    if (r === undefined || r.state !== 'live') return;
    r.state = state;
    this.heard(r, now);
    this.departed.push(id);
    while (this.departed.length > this.limits.departedKept) this.records.delete(this.departed.shift()!);
  }

  /**
   * Live peers not heard from for more than `timeoutMs`, or, until they report their first step,
   * for more than `joinGraceMs`: a joining tab downloads its shard and sets up TF.js on its main
   * thread, and on a loaded machine that held its telemetry back past the 5 s default, so fresh
   * tabs were timed out during their join and came back as new peers. Excused server stalls
   * (`excuse`) are not silence.
   */
  silent(now: number, timeoutMs: number, joinGraceMs = 0): PeerId[] {
    const out: PeerId[] = [];
    for (const r of this.records.values()) {
      if (r.state !== 'live') continue;
      const joining = r.latest === undefined || r.latest.steps === 0;
      const silence = now - r.lastSeen - (this.excusedMs - r.excusedAtSeen);
      if (silence > (joining ? Math.max(timeoutMs, joinGraceMs) : timeoutMs)) out.push(r.id);
    }
    return out;
  }

  /** What the peer said about itself in `hello` (backend updated by telemetry). */
  identity(id: PeerId): { backend: string; device?: string } | undefined {
    const r = this.records.get(id);
    if (r === undefined) return undefined;
    return r.device === undefined ? { backend: r.backend } : { backend: r.backend, device: r.device };
  }

  /** Live peers with their latest report (undefined before the first), ascending id. */
  live(): { id: PeerId; latest: TelemetrySample | undefined }[] {
    const out: { id: PeerId; latest: TelemetrySample | undefined }[] = [];
    for (const r of this.records.values()) if (r.state === 'live') out.push({ id: r.id, latest: r.latest });
    return out.sort((a, b) => a.id - b.id);
  }

  history(id: PeerId): TelemetrySample[] {
    return this.records.get(id)?.history.toArray() ?? [];
  }

  /** One row per known peer, ascending id. */
  summaries(): PeerSummary[] {
    const rows: PeerSummary[] = [];
    for (const r of this.records.values()) rows.push(summarise(r));
    return rows.sort((a, b) => a.id - b.id);
  }
}

function summarise(r: PeerRecord): PeerSummary {
  const t = r.latest;
  const row: PeerSummary = {
    id: r.id,
    state: r.state,
    backend: r.backend,
    shard: r.shard,
    epoch: t?.epoch ?? 0,
    steps: t?.steps ?? 0,
    samples: t?.samples ?? 0,
    loss: t?.loss ?? null,
    accuracy: t?.accuracy ?? null,
    stepsPerSec: t?.stepsPerSec ?? 0,
    neighbours: t?.neighbours ?? 0,
    framesLost: t?.framesLost ?? 0,
    framesRejected: t?.framesRejected ?? 0,
    lastSeen: r.lastSeen,
    joinedAt: r.joinedAt,
    flags: r.flags.map((f) => ({ ...f })),
  };
  if (r.device !== undefined) row.device = r.device;
  if (t !== undefined) {
    row.framesSent = t.framesSent;
    row.framesReceived = t.framesReceived;
    row.computeMs = r.computeMs;
    row.commMs = r.commMs;
    if (t.staleness !== undefined) row.staleness = t.staleness;
    if (t.massInTransit !== undefined) row.massInTransit = t.massInTransit;
    if (t.computeShare !== undefined) row.computeShare = t.computeShare;
    if (t.sendShare !== undefined) row.sendShare = t.sendShare;
    if (t.links !== undefined) row.links = t.links.map((l) => ({ ...l }));
  }
  return row;
}
