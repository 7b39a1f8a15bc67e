import { Rng, type Algorithm, type PeerId, type PeerNeighbours } from '@starling/core';
import { capUplink, ShapedUplink, type LinkShape } from '@starling/transport';
import { applyGrowth, applyMembersChange, type EpochPayload, type GrowPayload, type MembersResult, type RunConfig } from '@starling/protocol';
import type { PeerRuntimeTuning } from './config';
import type { ControlMessage } from './control';
import { FrameRouter } from './frames';
import { linkTargets } from './link-targets';
import { Mesh } from './mesh';
import type { ModelSync } from './model-sync';
import { StalenessMeter } from './staleness';
import type { CreatePeer, WrtcImpl } from './webrtc-transport';

/** Where the server placed us: the epoch, our neighbour lists on both graphs, every member. */
export interface Placement {
  epoch: number;
  /** Grows of `epoch` applied (GrowPayload.seq); 0 from the welcome or the epoch's news. */
  grows: number;
  neighbours: PeerNeighbours;
  members: PeerId[];
}

export interface RunNetworkSetup {
  peerId: PeerId;
  config: RunConfig;
  placement: Placement;
  tuning: PeerRuntimeTuning;
  createPeer: CreatePeer;
  wrtc: WrtcImpl;
  /** The volunteer's own upload cap (bytes/s), or null. */
  uploadCap: number | null;
  /** ICE settings for a new link, read when it opens (fresh TURN credentials reach new links). */
  rtcConfig: () => RTCConfiguration;
  /** The run's injected loss rate now (the owner can change it mid-run). */
  lossRate: () => number;
  /** Our steps so far, for the staleness of what neighbours send. */
  steps: () => number;
  /** Hand a signaling message to the server. */
  signal: (to: PeerId, data: unknown) => void;
  /** Links opened or closed, a neighbour was lost: the runtime refreshes its counters. */
  changed: () => void;
}

/** What the network asks of the run it carries, once that run has an algorithm. */
export interface NetworkUser {
  readonly algo: Algorithm;
  /** A frame arrived: wake a loop that waits for work. */
  wake(): void;
  /** A neighbour's control message (a joiner asking for our model). */
  control(from: PeerId, msg: ControlMessage): void;
}

/**
 * One welcome's network: the shaped uplink, the WebRTC mesh, the frame router and the topology
 * the server announced. It exists from the welcome on, before the algorithm does (neighbours offer
 * as soon as the server announces us, and the router holds their reliable frames until then);
 * `attach` hands it the run once the algorithm is built.
 */
export class RunNetwork {
  readonly uplink: ShapedUplink;
  readonly mesh: Mesh;
  readonly router: FrameRouter;
  readonly staleness = new StalenessMeter();
  /** The newest topology the server announced (welcome or epoch event). */
  placement: Placement;
  /** Neighbours we expect data from (in-neighbours on the graphs, else every link target). */
  sources = new Set<number>();
  neighboursWanted = 0;
  /** While a joiner waits for a neighbour's model. */
  sync: ModelSync | null = null;
  private user: NetworkUser | null = null;

  constructor(private readonly s: RunNetworkSetup, now: () => number) {
    const cfg = s.config;
    const shape: LinkShape = capUplink(cfg.network, s.uploadCap);
    // Always present, so a volunteer's cap can start or stop mid-run; unshaped, it passes frames through.
    this.uplink = new ShapedUplink(shape, s.tuning.uplinkBurstBytes);
    this.placement = s.placement;
    this.mesh = new Mesh(s.peerId, {
      createPeer: s.createPeer,
      wrtc: s.wrtc,
      tuning: s.tuning,
      rtcConfig: s.rtcConfig,
      unreliableHighWaterBytes: cfg.maxBufferedBytes,
      uplink: this.uplink,
      lossRng: new Rng(cfg.seed * 7919 + s.peerId),
      lossRate: s.lossRate,
    }, {
      signal: s.signal,
      frame: (from, bytes, reliable) => {
        this.router.receive(from, bytes, reliable);
        this.user?.wake();
      },
      linksChanged: () => {
        this.tellOpenLinks();
        s.changed();
        this.sync?.askOpenLinks();
      },
      neighbourLost: () => s.changed(),
      control: (from, msg) => this.user?.control(from, msg),
      drain: () => this.router.pump(),
    }, now);
    this.router = new FrameRouter(this.mesh, () => this.user?.algo ?? null, undefined, s.tuning.maxHeldBytes);
    this.router.onData = (from) => this.staleness.heard(from, s.steps());
    this.follow(this.placement);
  }

  /** The run now has its algorithm: frames held for it are replayed. */
  attach(user: NetworkUser): void {
    this.user = user;
    this.tellOpenLinks();
    this.router.replayHeld();
  }

  /** Cap the uplink (bytes per second; null: the run's own shape only). */
  setUploadCap(cap: number | null): number | null {
    this.uplink.setRate(capUplink(this.s.config.network, cap).uplinkBytesPerSec);
    return this.uplink.bytesPerSec;
  }

  /**
   * An epoch event: the new placement, or 'gap' when an epoch's news was lost and the member list
   * cannot be rebuilt (the caller joins again), or null for stale news.
   */
  onEpoch(payload: EpochPayload): Placement | 'gap' | null {
    return this.place(payload, 0, applyMembersChange(this.placement.members, this.placement.epoch, payload));
  }

  /** A grow event (joiners attached to us within the epoch): as onEpoch, with the same epoch; 'gap' also when a grow of it was lost. */
  onGrow(payload: GrowPayload): Placement | 'gap' | null {
    return this.place(payload, payload.seq, applyGrowth(this.placement.members, this.placement.epoch, this.placement.grows, payload));
  }

  private place(payload: EpochPayload | GrowPayload, grows: number, r: MembersResult): Placement | 'gap' | null {
    if (r.kind === 'stale') return null;
    if (r.kind === 'gap') return 'gap';
    this.placement = { epoch: payload.epoch, grows, neighbours: { ...payload.neighbours, members: r.members }, members: r.members };
    return this.placement;
  }

  /** Open links to the placement's neighbours (and close the others). */
  follow(p: Placement): void {
    const targets = linkTargets(this.s.config.algorithm, this.s.peerId, p.neighbours);
    this.sources = new Set(p.neighbours.rIn.length + p.neighbours.cIn.length > 0 ? [...p.neighbours.rIn, ...p.neighbours.cIn] : targets);
    this.staleness.retain(targets);
    this.mesh.setNeighbours(p.epoch, targets, p.members);
    this.neighboursWanted = targets.size;
    this.tellOpenLinks();
  }

  /** The algorithm sends tracker mass only along links that are open (Algorithm.linksOpen). */
  private tellOpenLinks(): void {
    this.user?.algo.linksOpen?.(new Set(this.mesh.openIds()));
  }

  close(): void {
    this.sync?.cancel();
    this.sync = null;
    this.user = null;
    this.mesh.close();
  }
}
