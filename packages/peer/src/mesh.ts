import type { PeerId, Rng } from '@starling/core';
import type { LinkReport } from '@starling/protocol';
import { LossyTransport, type ShapedUplink } from '@starling/transport';
import type { PeerRuntimeTuning } from './config';
import { parseControl, type ControlMessage } from './control';
import { Link, type LinkCounters } from './link';
import { WebRtcTransport, type CreatePeer, type WrtcImpl } from './webrtc-transport';

/** How a mesh builds its links: WebRTC, the run's channel settings, the shaped uplink, loss injection. */
export interface MeshSetup {
  createPeer: CreatePeer;
  wrtc: WrtcImpl;
  tuning: PeerRuntimeTuning;
  /** ICE servers and policy for a new link, read when it opens (fresh TURN credentials reach new links). */
  rtcConfig: () => RTCConfiguration;
  /** Skip an unreliable envelope while a link buffers more than this (the run's maxBufferedBytes). */
  unreliableHighWaterBytes: number;
  /** Every link sends through this uplink (the run's link shape, a volunteer's cap). */
  uplink: ShapedUplink;
  /** Injected loss on unreliable frames: one seeded stream for all links, the current rate. */
  lossRng: Rng;
  lossRate: () => number;
}

export interface MeshEvents {
  /** Hand a signaling message to the server for `to`. */
  signal(to: PeerId, data: unknown): void;
  /** A binary frame arrived from `from` (not yet decoded or validated). */
  frame(from: PeerId, bytes: Uint8Array, reliable: boolean): void;
  /** A link opened or closed (the runtime shows the count). */
  linksChanged(): void;
  /** A neighbour went silent past the timeout, or its connection failed. */
  neighbourLost(id: PeerId, reason: string): void;
  /** A validated control message other than a heartbeat (heartbeats are handled here). */
  control(from: PeerId, msg: ControlMessage): void;
  /** A link can take more frames (its send queue drained). */
  drain(id: PeerId): void;
}

export interface MeshTotals extends LinkCounters {
  openLinks: number;
  /** Control messages that failed validation, and frames from peers we have no link to. */
  controlRejected: number;
}

/**
 * All WebRTC links of one peer. The lower id initiates, so two peers never both offer; the other
 * side creates its link at once too (waiting for the offer), so reliable frames for a neighbour
 * queue on its link instead of being lost before it connects. Links follow the neighbour set of
 * the current epoch; a link that drops or never connects is re-created at the next heartbeat.
 */
export class Mesh {
  private readonly links = new Map<PeerId, Link>();
  /** The WebRTC transport under each link, for signaling. */
  private readonly rtc = new Map<PeerId, WebRtcTransport>();
  private wanted = new Set<PeerId>();
  /** Peers the server says are in the run: the only ones whose offers we accept. */
  private members = new Set<PeerId>();
  private controlRejected = 0;
  /** Counters of links already closed, so totals never go backwards. */
  private readonly retired: LinkCounters = emptyCounters();
  private epoch = 0;
  /** When `heartbeat` last ran (runtime clock), to see this peer's own stalls. */
  private lastBeat: number | undefined;

  constructor(
    private readonly self: PeerId,
    private readonly setup: MeshSetup,
    private readonly events: MeshEvents,
    private readonly now: () => number,
  ) {}

  /** Follow a new epoch: open links to new neighbours, close links to peers no longer needed. */
  setNeighbours(epoch: number, neighbours: Iterable<PeerId>, members: Iterable<PeerId>): void {
    this.epoch = epoch;
    this.members = new Set(members);
    this.wanted = new Set([...neighbours].filter((id) => id !== this.self));
    for (const [id, link] of this.links) if (!this.wanted.has(id)) link.destroy('no longer a neighbour');
    for (const id of this.wanted) if (!this.links.has(id)) this.open(id, this.self < id);
  }

  /** A signaling message from the server. */
  onSignal(from: PeerId, data: unknown): void {
    let link = this.links.get(from);
    if (!link) {
      // Only the lower id offers; accept only from run members (epoch news may lag the offer).
      if (from > this.self || !this.members.has(from)) return;
      link = this.open(from, false);
    } else if (link.initiator === false && this.rtc.get(from)?.isStale(data)) {
      // The remote re-offers after its connect timeout: start over instead of answering twice.
      link.destroy('remote restarted the connection');
      link = this.open(from, false);
    }
    this.rtc.get(from)?.signal(data);
  }

  link(id: PeerId): Link | undefined {
    return this.links.get(id);
  }

  isOpen(id: PeerId): boolean {
    return this.links.get(id)?.isOpen ?? false;
  }

  /**
   * Send heartbeats and drop links that went silent or never opened. Called every `everyMs`: a
   * call a whole period late means this peer itself stalled (a long task on its thread, no CPU on
   * a loaded machine), and what the neighbours sent meanwhile may still wait in the channels'
   * queues behind this timer, so the stall is not counted as their silence (the server excuses
   * its own stalls the same way).
   */
  heartbeat(timeoutMs: number, everyMs: number): void {
    const t = this.now();
    const late = this.lastBeat === undefined ? 0 : t - this.lastBeat - everyMs;
    this.lastBeat = t;
    if (late >= everyMs) for (const link of this.links.values()) link.excuse(late);
    // Re-create links to wanted neighbours whose link failed; epochs alone would leave them cut off.
    for (const id of this.wanted) if (!this.links.has(id)) this.open(id, this.self < id);
    for (const [id, link] of this.links) {
      if (link.isOpen) {
        const hb: ControlMessage = { t: 'hb', epoch: this.epoch, sent: link.unreliableAttempts };
        link.sendReliable(JSON.stringify(hb));
        if (t - link.lastHeard > timeoutMs) {
          link.destroy(`no heartbeat for ${Math.round(t - link.lastHeard)} ms`);
          this.events.neighbourLost(id, 'timed out');
        }
      } else if (t - link.openedAt > this.setup.tuning.connectTimeoutMs) {
        link.destroy('did not connect in time');
        this.events.neighbourLost(id, 'connection failed');
      }
    }
  }

  totals(): MeshTotals {
    const s: LinkCounters = { ...this.retired };
    let open = 0;
    for (const l of this.links.values()) {
      addCounters(s, l.counters);
      if (l.isOpen) open++;
    }
    return { ...s, openLinks: open, controlRejected: this.controlRejected };
  }

  /** Some open link still buffers more unreliable bytes than `limit`. */
  congested(limit: number): boolean {
    for (const l of this.links.values()) if (l.isOpen && l.unreliableBuffered > limit) return true;
    return false;
  }

  /** Route and round-trip time of up to `max` open links, by neighbour id. */
  async linkReports(max: number): Promise<LinkReport[]> {
    const open = [...this.links.values()].filter((l) => l.isOpen).sort((a, b) => a.remote - b.remote).slice(0, max);
    const paths = await Promise.all(open.map((l) => this.rtc.get(l.remote)?.path() ?? null));
    const out: LinkReport[] = [];
    for (const [i, p] of paths.entries()) if (p !== null) out.push({ peer: open[i].remote, ...p });
    return out;
  }

  openIds(): PeerId[] {
    return [...this.links.values()].filter((l) => l.isOpen).map((l) => l.remote);
  }

  close(): void {
    for (const link of [...this.links.values()]) link.destroy('peer stopped');
  }

  private open(id: PeerId, initiator: boolean): Link {
    const s = this.setup;
    const rtc = new WebRtcTransport(id, initiator, s.createPeer, s.wrtc, {
      rtc: s.rtcConfig(),
      reliableHighWaterBytes: s.tuning.reliableHighWaterBytes,
      reliableQueueMaxBytes: s.tuning.reliableQueueMaxBytes,
      unreliableLowWaterBytes: s.tuning.slotLowWaterBytes,
      closeGraceMs: s.tuning.closeGraceMs,
    }, (d) => this.events.signal(id, d));
    // Loss is injected under the shaper, so a dropped frame still spends its uplink share.
    const lossy = new LossyTransport(rtc, s.lossRng, s.lossRate);
    const transport = s.uplink.wrap(lossy);
    const link: Link = new Link(id, initiator, transport, { unreliableHighWaterBytes: s.unreliableHighWaterBytes, injectedDrops: () => lossy.drops }, {
      open: () => this.events.linksChanged(),
      close: () => {
        if (this.links.get(id) === link) {
          this.links.delete(id);
          this.rtc.delete(id);
        }
        addCounters(this.retired, link.counters);
        this.events.linksChanged();
      },
      frame: (bytes, reliable) => this.events.frame(id, bytes, reliable),
      control: (text) => this.onControl(link, text),
      drain: () => this.events.drain(id),
    }, this.now);
    this.links.set(id, link);
    this.rtc.set(id, rtc);
    return link;
  }

  private onControl(link: Link, text: string): void {
    const msg = parseControl(text, this.setup.tuning.maxControlChars);
    if (!msg) {
      this.controlRejected++;
      return;
    }
    if (msg.t === 'hb') link.noteRemoteSent(msg.sent);
    else this.events.control(link.remote, msg);
  }

  /** Send a control message to one neighbour on the reliable channel. */
  sendControl(to: PeerId, msg: ControlMessage): boolean {
    const link = this.links.get(to);
    if (!link?.isOpen) return false;
    link.sendReliable(JSON.stringify(msg));
    return true;
  }
}

function emptyCounters(): LinkCounters {
  return { framesSent: 0, unreliableSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0, injectedDrops: 0, backpressureSkips: 0, framesLost: 0 };
}

function addCounters(into: LinkCounters, c: LinkCounters): void {
  into.framesSent += c.framesSent;
  into.unreliableSent += c.unreliableSent;
  into.framesReceived += c.framesReceived;
  into.bytesSent += c.bytesSent;
  into.bytesReceived += c.bytesReceived;
  into.injectedDrops += c.injectedDrops;
  into.backpressureSkips += c.backpressureSkips;
  into.framesLost += c.framesLost;
}
