/**
 * Per-link network model. Each directed link (from -> to) has one transmitter: a message first
 * waits for the link to finish serialising earlier messages (bytes / bandwidth each), then travels
 * for latency + U(0, jitter). Jitter is what reorders messages on a link.
 *
 * Unreliable messages are dropped with probability `loss` and duplicated with probability
 * `duplicate` (the copy gets its own jitter, so it may overtake the original).
 *
 * Unreliable messages are skipped at the sender (never transmitted) while the link's unsent backlog
 * exceeds `sendBuffer` bytes, as the peer runtime skips a send while the data channel's
 * bufferedAmount is above its high-water mark; reliable messages always queue.
 *
 * Reliable messages are never lost and arrive exactly once, in send order per link. Loss shows up as
 * retransmission delay instead: each lost attempt adds one RTO = rtoLatencyFactor * latency + jitter
 * (a round trip for the missing acknowledgement plus the worst-case jitter). FIFO is enforced by never
 * delivering a reliable message before the previous reliable one on the same link; equal times keep
 * send order because the event queue breaks ties by insertion.
 */
import type { Rng, PeerId } from '@starling/core';
import { SIM_DEFAULTS } from './config';
import { SimConfigError, SimNetworkError, requireFinite } from './errors';

export interface LinkModel {
  /** One-way latency, seconds. */
  latency: number;
  /** Extra delay drawn uniformly in [0, jitter) per message, seconds; causes reordering. */
  jitter: number;
  /** Bytes per second on the link; Infinity for no serialisation delay. */
  bandwidth: number;
  /** Probability an unreliable message (or one attempt of a reliable one) is lost, in [0, 1). */
  loss: number;
  /** Probability an unreliable message is delivered twice, in [0, 1]. */
  duplicate: number;
  /**
   * Unsent bytes a link may hold before unreliable messages are skipped at the sender (the peer
   * runtime's maxBufferedBytes); Infinity = queue without bound.
   */
  sendBuffer: number;
}

export interface NetworkConfig extends Partial<LinkModel> {
  /** Header bytes added to every message; default SIM_DEFAULTS.headerBytes. */
  headerBytes?: number;
  /**
   * A per-peer uplink shared by all of a peer's links, ahead of the per-link model: a token bucket
   * of this many bytes/s and this one-way latency (packages/transport's Uplink, the code the peer
   * runtime shapes its links with). Absent: each link is modelled on its own, as before.
   */
  uplink?: { bytesPerSec: number | null; latencyMs: number };
  /** Per-link overrides (a slow uplink, one lossy link). Called once per link, on its first message. */
  link?: (from: PeerId, to: PeerId) => Partial<LinkModel> | undefined;
}

interface LinkState {
  to: PeerId;
  model: LinkModel;
  /** When the transmitter finishes the last queued message. */
  busyUntil: number;
  /** Delivery time of the last reliable message; the next one may not arrive earlier. */
  lastReliable: number;
}

interface SenderLinks {
  list: LinkState[];
  map: Map<PeerId, LinkState> | null;
}

/** Out-links a sender scans linearly before it switches to a map. */
const LINEAR_LINKS = 16;

/** What happened to one sent message; delivery times are written into the caller's array. */
export interface SendOutcome {
  /** Number of deliveries written to `times` (0 = lost or skipped, 2 = duplicated). */
  deliveries: number;
  /** The message was skipped at the sender because the link's backlog exceeded `sendBuffer`. */
  skipped: boolean;
  /** Lost attempts a reliable message needed to retransmit. */
  retransmits: number;
}

export function validateLinkModel(m: LinkModel, where: string): void {
  requireFinite(`${where}.latency`, m.latency, 0);
  requireFinite(`${where}.jitter`, m.jitter, 0);
  if (!(m.bandwidth > 0)) throw new SimConfigError(`${where}.bandwidth must be > 0 bytes/s (Infinity for none), got ${m.bandwidth}`);
  if (!(m.loss >= 0 && m.loss < 1)) throw new SimConfigError(`${where}.loss must be in [0, 1), got ${m.loss}`);
  requireFinite(`${where}.duplicate`, m.duplicate, 0, 1);
  if (!(m.sendBuffer >= 0)) throw new SimConfigError(`${where}.sendBuffer must be >= 0 bytes (Infinity for no bound), got ${m.sendBuffer}`);
}

export class Network {
  readonly headerBytes: number;
  private readonly base: LinkModel;
  private readonly override?: NetworkConfig['link'];
  /**
   * Out-links per sender. Most peers have a handful, found by a linear scan of one small array that
   * stays in cache (a global hash map of all links did not); a sender with many (gossip to random
   * peers) switches to its own map.
   */
  private readonly links: SenderLinks[] = [];
  private readonly outcome: SendOutcome = { deliveries: 0, retransmits: 0, skipped: false };

  constructor(
    config: NetworkConfig,
    private readonly rng: Rng,
  ) {
    this.base = {
      latency: config.latency ?? SIM_DEFAULTS.link.latency,
      jitter: config.jitter ?? SIM_DEFAULTS.link.jitter,
      bandwidth: config.bandwidth ?? SIM_DEFAULTS.link.bandwidth,
      loss: config.loss ?? SIM_DEFAULTS.link.loss,
      duplicate: config.duplicate ?? SIM_DEFAULTS.link.duplicate,
      sendBuffer: config.sendBuffer ?? SIM_DEFAULTS.link.sendBuffer,
    };
    validateLinkModel(this.base, 'network');
    this.headerBytes = config.headerBytes ?? SIM_DEFAULTS.headerBytes;
    requireFinite('network.headerBytes', this.headerBytes, 0);
    this.override = config.link;
  }

  /**
   * Sends `bytes` from `from` to `to` at virtual time `now`. Writes delivery times into `times`
   * (length >= 2) and returns the outcome (a shared object: read it before the next call).
   */
  send(from: PeerId, to: PeerId, bytes: number, reliable: boolean, now: number, times: number[]): SendOutcome {
    const link = this.linkState(from, to);
    const m = link.model;
    const out = this.outcome;
    out.retransmits = 0;
    out.skipped = false;
    const start = link.busyUntil > now ? link.busyUntil : now;
    if (!reliable && (start - now) * m.bandwidth > m.sendBuffer) {
      out.skipped = true;
      out.deliveries = 0;
      return out;
    }
    const departed = start + bytes / m.bandwidth;
    link.busyUntil = departed;

    if (reliable) {
      let t = departed + m.latency + this.rng.next() * m.jitter;
      if (m.loss > 0) {
        const rto = SIM_DEFAULTS.rtoLatencyFactor * m.latency + m.jitter;
        while (this.rng.next() < m.loss) {
          if (++out.retransmits > SIM_DEFAULTS.maxRetransmits) {
            throw new SimNetworkError(
              `reliable message ${from}->${to} lost ${SIM_DEFAULTS.maxRetransmits} times; lower the link's loss`,
            );
          }
          t += rto;
        }
      }
      if (t < link.lastReliable) t = link.lastReliable;
      link.lastReliable = t;
      times[0] = t;
      out.deliveries = 1;
      return out;
    }

    if (m.loss > 0 && this.rng.next() < m.loss) {
      out.deliveries = 0;
      return out;
    }
    times[0] = departed + m.latency + this.rng.next() * m.jitter;
    out.deliveries = 1;
    if (m.duplicate > 0 && this.rng.next() < m.duplicate) {
      times[1] = departed + m.latency + this.rng.next() * m.jitter;
      out.deliveries = 2;
    }
    return out;
  }

  /** The send buffer of link from -> to (its per-link override, else the base model's). */
  sendBufferOf(from: PeerId, to: PeerId): number {
    return this.linkState(from, to).model.sendBuffer;
  }

  /** Bytes link from -> to still has to serialise at `now` (0 for a link never used). */
  backlog(from: PeerId, to: PeerId, now: number): number {
    const link = this.existing(from, to);
    if (link === undefined || link.busyUntil <= now) return 0;
    return (link.busyUntil - now) * link.model.bandwidth;
  }

  /** When link from -> to's backlog falls to `bytes` (now if it already has). */
  backlogFallsTo(from: PeerId, to: PeerId, bytes: number, now: number): number {
    const link = this.existing(from, to);
    if (link === undefined) return now;
    return Math.max(now, link.busyUntil - bytes / link.model.bandwidth);
  }

  private existing(from: PeerId, to: PeerId): LinkState | undefined {
    const out = this.links[from];
    if (out === undefined) return undefined;
    return out.map !== null ? out.map.get(to) : out.list.find((l) => l.to === to);
  }

  /** Message size on the wire: header plus payload. */
  messageBytes(payloadBytes: number): number {
    return this.headerBytes + payloadBytes;
  }

  private linkState(from: PeerId, to: PeerId): LinkState {
    let out = this.links[from];
    if (out === undefined) out = this.links[from] = { list: [], map: null };
    if (out.map !== null) {
      const found = out.map.get(to);
      if (found !== undefined) return found;
    } else {
      const list = out.list;
      for (let i = 0; i < list.length; i++) if (list[i].to === to) return list[i];
    }
    let model = this.base;
    const o = this.override?.(from, to);
    if (o !== undefined) {
      model = { ...this.base, ...o };
      validateLinkModel(model, `network.link(${from}, ${to})`);
    }
    const s: LinkState = { to, model, busyUntil: 0, lastReliable: 0 };
    out.list.push(s);
    if (out.map !== null) out.map.set(to, s);
    else if (out.list.length > LINEAR_LINKS) out.map = new Map(out.list.map((l) => [l.to, l] as const));
    return s;
  }
}
