import { createAlgorithm, Rng, type Algorithm, type AlgorithmName, type AlgorithmOptions, type PeerId, type PeerNeighbours } from '@starling/core';
import { capUplink, ShapedUplink, type LinkShape } from '@starling/transport';
import { applyMembersChange, pathTo, PROTOCOL_LIMITS, validateIceServers, type EpochPayload, type IceServersPayload, type RunConfig, type WelcomePayload } from '@starling/protocol';
import { BackendError, initialParams, TRAINING_DEFAULTS, type BackendAttempt, type BackendName, type SelectBackendOptions } from '@starling/training';
import { DEFAULT_TUNING, type PeerRuntimeTuning } from './config';
import { lazyPageCompute, type Compute, type Training } from './compute';
import { evidenceReport } from './evidence';
import { StartupTimeline } from './startup-timeline';
import { downloadCheckpoint, uploadSnapshot } from './server-uploads';
import { PeerError } from './errors';
import type { ControlMessage } from './control';
import { FrameRouter } from './frames';
import { handoffEnvelopes } from './handoff';
import { ModelSync } from './model-sync';
import { ServerSession } from './server-session';
import { globalWrtc, type CreatePeer, type WrtcImpl } from './webrtc-transport';
import { linkTargets } from './link-targets';
import { Mesh } from './mesh';
import { initialStatus, type PeerStatus } from './status';
import { StalenessMeter } from './staleness';
import { StepLoop } from './step-loop';
import { TelemetryMeter } from './telemetry';
import { yieldToEventLoop } from './yield';

/** Where the server placed us: the epoch, our neighbour lists on both graphs, every member. */
interface Placement {
  epoch: number;
  neighbours: PeerNeighbours;
  members: PeerId[];
}

export interface PeerRuntimeOptions {
  /** Origin of the Starling server, e.g. `location.origin`. */
  serverUrl: string;
  /** simple-peer constructor: the browser bundle, or simple-peer in Node. */
  createPeer: CreatePeer;
  /** The WebRTC classes: the browser's globals by default, @roamhq/wrtc in Node. */
  wrtc?: WrtcImpl;
  /**
   * The volunteer's own upload cap, bytes per second (null: none): the tab uploads at most the
   * lower of this and the run's `network.uplinkBytesPerSec`. `setUploadCap` changes it live.
   */
  uploadCapBytesPerSec?: number | null;
  backends?: readonly BackendName[];
  backendOptions?: SelectBackendOptions;
  /**
   * Where TF.js runs: on this thread by default; the web app passes a WorkerCompute so a hidden
   * tab keeps training (browsers throttle a hidden page, not its dedicated workers).
   */
  compute?: Compute;
  tuning?: Partial<PeerRuntimeTuning>;
  /**
   * Use this device k times more slowly than it can (k >= 1): after each gradient the loop rests
   * (k - 1) times as long as the gradient took, with the event loop free meanwhile. Lets a
   * volunteer lend part of a device, and lets a benchmark make a straggler on purpose.
   */
  slowdown?: number;
  /** Called whenever the phase changes or an error occurs (the page also polls `status()`). */
  onChange?: (s: PeerStatus) => void;
  /**
   * Builds the run's algorithm; default core's createAlgorithm. Robustness tests plug a hostile
   * peer in here (the headless CLI's --attack); a volunteer's page never sets it.
   */
  createAlgorithm?: (name: AlgorithmName, opts: AlgorithmOptions) => Algorithm;
  now?: () => number;
}

/**
 * One volunteer peer: picks a TF.js backend, joins the run over socket.io, downloads its shard,
 * connects to its neighbours over WebRTC and trains with the run's algorithm until stopped.
 */
export class PeerRuntime {
  private readonly st: PeerStatus = initialStatus();
  private readonly tuning: PeerRuntimeTuning;
  private readonly now: () => number;
  private session: ServerSession | null = null;
  private local: Training | null = null;
  private readonly compute: Compute;
  private algo: Algorithm | null = null;
  private config: RunConfig | null = null;
  private mesh: Mesh | null = null;
  private router: FrameRouter | null = null;
  private loop: StepLoop | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private wake: (() => void) | null = null;
  /** The shaped uplink every link sends through (null while unshaped), and the volunteer's cap. */
  private uplink: ShapedUplink | null = null;
  private uploadCap: number | null;
  private meter: TelemetryMeter;
  /** While a joiner waits for a neighbour's model. */
  private sync: ModelSync | null = null;
  /** Backends that failed when the peer started: the speed trial times every other one. */
  private failedAtStart: BackendAttempt[] = [];
  private uploadToken: string | null = null;
  private readonly staleness = new StalenessMeter();
  private readonly timeline: StartupTimeline;
  /** Neighbours we expect data from (in-neighbours on the graphs, else every link target). */
  private sources = new Set<number>();
  /** The newest topology the server announced (welcome or epoch event). */
  private latest: Placement = { epoch: 0, neighbours: { rIn: [], rOut: [], cIn: [], cOut: [], undirected: [], members: [] }, members: [] };
  /** ICE servers for new links: from the welcome, then each `ice-servers` refresh (fresh TURN credentials). */
  private ice: IceServersPayload = { iceServers: [], expiresAt: null };

  constructor(private readonly opts: PeerRuntimeOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.now = opts.now ?? (() => performance.now());
    this.meter = new TelemetryMeter(this.now);
    this.timeline = new StartupTimeline(this.now);
    this.uploadCap = opts.uploadCapBytesPerSec ?? null;
    this.compute = opts.compute ?? lazyPageCompute;
    this.st.computeIn = this.compute.where;
  }

  /** Cap what this tab uploads (bytes per second; null lifts the cap); takes effect at once. */
  setUploadCap(bytesPerSec: number | null): void {
    this.uploadCap = bytesPerSec !== null && bytesPerSec > 0 && Number.isFinite(bytesPerSec) ? bytesPerSec : null;
    if (this.config && this.uplink) {
      this.uplink.setRate(capUplink(this.config.network, this.uploadCap).uplinkBytesPerSec);
      this.st.uplinkBytesPerSec = this.uplink.bytesPerSec;
    }
  }

  status(): PeerStatus {
    this.refreshCounters();
    return { ...this.st, startup: this.timeline.list(), startupBeganAt: this.timeline.beganAt, download: this.st.download && { ...this.st.download } };
  }

  /** A copy of the current model (x_i, or x_i / w_i for push-sum). */
  model(): Float32Array | null {
    return this.algo ? this.algo.model().slice() : null;
  }

  async start(): Promise<void> {
    if (this.st.phase !== 'idle' && this.st.phase !== 'stopped' && this.st.phase !== 'error') return;
    Object.assign(this.st, initialStatus(), { computeIn: this.compute.where });
    this.timeline.begin();
    try {
      this.setPhase('selecting-backend');
      // Check that a backend works before we tell the server; no model yet. The trial (after
      // welcome) builds, probes and times the run's own model on every candidate.
      const report = await this.compute.checkBackends(this.opts.backends ?? TRAINING_DEFAULTS.backendOrder, this.opts.backendOptions);
      this.st.computeIn = this.compute.where; // a worker that failed to start falls back to the page
      this.st.backend = report.backend;
      this.st.backendAttempts = report.attempts;
      this.st.device = report.device ?? null;
      this.st.softwareGpu = report.software === true;
      this.failedAtStart = report.attempts.filter((a) => !a.ok);
      this.setPhase('connecting');
      await this.connect();
    } catch (e) {
      this.fail(e);
    }
  }

  async stop(): Promise<void> {
    this.sync?.cancel();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.session?.close();
    this.session = null;
    await this.loop?.stop();
    this.loop = null;
    this.mesh?.close();
    this.mesh = null;
    await this.local?.dispose();
    this.local = null;
    if (this.st.phase !== 'error') this.setPhase('stopped');
  }

  private connect(): Promise<void> {
    this.session = new ServerSession({
      serverUrl: this.opts.serverUrl,
      welcomeTimeoutMs: this.tuning.welcomeTimeoutMs,
      reconnectDelayMs: this.tuning.reconnectDelayMs,
      hello: () => ({
        role: 'peer',
        backend: this.st.backend ?? 'cpu',
        device: this.st.device?.slice(0, PROTOCOL_LIMITS.maxDeviceChars),
        userAgent: globalThis.navigator?.userAgent?.slice(0, PROTOCOL_LIMITS.maxUserAgentChars),
      }),
      handlers: {
        welcome: (w) => this.onWelcome(w),
        epoch: (e) => this.onEpoch(e),
        signal: (sig) => this.mesh?.onSignal(sig.from, sig.data),
        ice: (payload) => this.applyIce(payload),
        runState: (r) => {
          this.st.paused = r.paused;
          this.st.lossRate = r.lossRate;
          this.loop?.setPaused(r.paused);
          if (this.st.phase === 'training' || this.st.phase === 'paused') this.setPhase(r.paused ? 'paused' : 'training');
        },
        disconnected: () => {
          if (this.st.phase !== 'stopped' && this.st.phase !== 'error') this.setPhase('reconnecting');
        },
        failed: (e) => this.fail(e),
      },
    });
    return this.session.ready;
  }

  /**
   * First welcome: set everything up. A later welcome of the same run (we were reconnected):
   * rejoin with our current model. A welcome of another run (the owner started a new one): start
   * over with that run's model, data and algorithm.
   */
  private async onWelcome(w: WelcomePayload): Promise<void> {
    const sameRun = this.local !== null && this.st.runId === w.runId;
    if (this.local && !sameRun) await this.resetForNewRun();
    const previous = sameRun ? this.algo!.model().slice() : null;
    this.algo = null; // frames of the new membership must not reach the old algorithm
    this.config = w.config;
    this.uploadToken = w.uploadToken;
    this.st.peerId = w.peerId;
    this.st.runId = w.runId;
    this.st.algorithm = w.config.algorithm;
    this.applyIce(w.ice);
    const cfg = w.config;
    this.startTimers(cfg);
    // The mesh comes first: neighbours offer connections as soon as the server announces us, and
    // an offer that arrives while we download would be lost.
    this.latest = { epoch: w.epoch, neighbours: w.neighbours, members: w.neighbours.members };
    this.setupNetwork(cfg);
    this.applyNeighbours(w.epoch, w.neighbours, w.neighbours.members);
    if (!this.local) {
      this.setPhase('downloading');
      const url = (path: string) => new URL(path, this.opts.serverUrl).href;
      // Every candidate that did not fail at start is timed on this run's model (a new run's
      // model may favour another backend).
      const failedAtStart = this.failedAtStart;
      const candidates = (this.opts.backends ?? TRAINING_DEFAULTS.backendOrder).filter((b) => !failedAtStart.some((a) => a.name === b));
      this.local = await this.compute.createTraining(
        { cfg, task: w.task, peerId: w.peerId, shardUrl: url(w.shard.url), testUrl: url(w.testUrl), backends: candidates, backendOptions: this.opts.backendOptions },
        {
          download: (loaded, total) => (this.st.download = { loaded, total }),
          trial: (b) => {
            this.st.activity = b === null ? null : `timing ${b} on this run's model`;
            this.timeline.mark(b === null ? 'after the speed trial' : `timing ${b}`);
          },
        },
      );
      const report = this.local.backendReport;
      if (report) {
        // The trial reports on the candidates, with speeds; the others failed at start.
        this.st.backend = report.backend;
        this.st.backendAttempts = [...failedAtStart, ...report.attempts];
        this.st.device = report.device ?? null;
        this.st.softwareGpu = report.software === true;
      }
    }
    const spec = w.task.model;
    // Epoch news may have come in while we downloaded: the algorithm starts in the newest one.
    const { epoch, neighbours } = this.latest;
    this.algo = (this.opts.createAlgorithm ?? createAlgorithm)(cfg.algorithm, {
      ...cfg.algorithmOptions, // validated against the algorithm's descriptor by the run config
      id: w.peerId,
      x0: previous ?? initialParams(spec, cfg.seed),
      lr: cfg.lr,
      blockSize: cfg.blockSize,
      epoch,
      neighbours,
      seed: cfg.seed + w.peerId,
    });
    this.st.kernels = this.algo.kernelKind?.() ?? null;
    this.router!.replayHeld();
    if (previous) this.st.startedFrom = 'own model (rejoined)';
    else await this.chooseStartingModel(w, cfg);
    this.st.task = w.task.id;
    this.startLoop(cfg);
  }

  /**
   * algorithms.md 1.6: a joiner copies x from a neighbour (freshest), else from the run's latest
   * checkpoint, so it does not drag the others back to x0. In a fresh run (the server has no trained
   * sample yet) every member is at x0 (the same for all: it is seeded), so nobody asks: peers that
   * start together would otherwise each wait out the hand-off timeout, since a peer that is still
   * syncing has no model to hand over.
   */
  private async chooseStartingModel(w: WelcomePayload, cfg: RunConfig): Promise<void> {
    const algo = this.algo!;
    if (!w.fresh && this.latest.members.some((id) => id !== w.peerId)) {
      this.setPhase('syncing');
      this.sync = new ModelSync(this.mesh!, this.router!, algo.dim, cfg.blockSize, this.tuning.handoffTimeoutMs);
      const got = await this.sync.result;
      this.sync = null;
      if (got) {
        algo.loadModel(got.model);
        this.st.startedFrom = `peer ${got.from}`;
        return;
      }
    }
    if (w.checkpointUrl) {
      const x = await downloadCheckpoint(new URL(w.checkpointUrl, this.opts.serverUrl).href, algo.dim).catch(() => null);
      if (x) {
        algo.loadModel(x);
        this.st.startedFrom = 'the run checkpoint';
        return;
      }
    }
    // An uploaded task starts from the owner's weights, not from initialParams.
    if (w.task.initialUrl) {
      const x = await downloadCheckpoint(new URL(w.task.initialUrl, this.opts.serverUrl).href, algo.dim).catch(() => null);
      if (x) {
        algo.loadModel(x);
        this.st.startedFrom = "the owner's model";
        return;
      }
    }
    this.st.startedFrom = this.latest.members.length <= 1 ? 'x0 (first peer)' : w.fresh ? 'x0 (fresh run, like every peer)' : 'x0 (no neighbour answered)';
  }

  private async resetForNewRun(): Promise<void> {
    this.sync?.cancel();
    await this.loop?.stop();
    this.loop = null;
    this.mesh?.close();
    this.mesh = null;
    this.router = null;
    this.algo = null;
    await this.local?.dispose();
    this.local = null;
    const { backend, backendAttempts, device, softwareGpu, paused, lossRate } = this.st;
    Object.assign(this.st, initialStatus(), { backend, backendAttempts, device, softwareGpu, paused, lossRate, computeIn: this.compute.where });
  }

  /** Telemetry, heartbeats and snapshots run from the welcome on, so a peer that is still
   * downloading or syncing is not taken for dead. */
  private startTimers(cfg: RunConfig): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [
      setInterval(() => this.mesh?.heartbeat(cfg.peerTimeoutMs), cfg.heartbeatIntervalMs),
      setInterval(() => this.sendTelemetry(), cfg.telemetryIntervalMs),
    ];
    if (cfg.snapshotIntervalMs > 0) this.timers.push(setInterval(() => void this.uploadSnapshot(), cfg.snapshotIntervalMs));
  }

  /** The server evaluates uploaded snapshots itself, so its accuracy never rests on our word. */
  private async uploadSnapshot(): Promise<void> {
    if (!this.algo || !this.st.runId || !this.uploadToken || this.st.steps === 0) return;
    const url = new URL(pathTo('snapshots', { runId: this.st.runId }), this.opts.serverUrl).href;
    try {
      await uploadSnapshot(url, this.st.peerId!, this.uploadToken, this.st.steps, this.algo.model().slice());
      this.st.snapshotsUploaded++;
    } catch {
      this.st.snapshotsFailed++; // the server may be restarting; the next interval tries again
    }
  }

  /**
   * A joiner asked for our model: hand it over once our loop runs (a peer still syncing has no
   * model worth copying; one that has not stepped yet, e.g. in a paused run, hands over x0).
   */
  private onControl(from: number, msg: ControlMessage): void {
    if (msg.t !== 'model-req' || !this.loop || !this.algo || !this.router) return;
    this.router.send(handoffEnvelopes(this.st.peerId!, from, msg.id, this.st.epoch, this.algo.model(), this.config!.blockSize));
  }

  private setupNetwork(cfg: RunConfig): void {
    this.mesh?.close();
    const wrtc = this.opts.wrtc ?? globalWrtc();
    if (!wrtc) throw new PeerError('peer-connection-failed', 'this runtime has no RTCPeerConnection (WebRTC)');
    const shape: LinkShape = capUplink(cfg.network, this.uploadCap);
    // Always present, so a volunteer's cap can start or stop mid-run; unshaped, it passes frames through.
    this.uplink = new ShapedUplink(shape, this.tuning.uplinkBurstBytes);
    this.st.uplinkBytesPerSec = shape.uplinkBytesPerSec;
    this.st.latencyMs = shape.latencyMs;
    const mesh = new Mesh(this.st.peerId!, {
      createPeer: this.opts.createPeer,
      wrtc,
      tuning: this.tuning,
      rtcConfig: () => ({ iceServers: this.ice.iceServers.map((s) => ({ ...s })), iceTransportPolicy: cfg.iceTransportPolicy }),
      unreliableHighWaterBytes: cfg.maxBufferedBytes,
      uplink: this.uplink,
      lossRng: new Rng(cfg.seed * 7919 + this.st.peerId!),
      lossRate: () => this.st.lossRate,
    }, {
      signal: (to, data) => this.session?.emit('signal', { to, data: data as never }),
      frame: (from, bytes, reliable) => {
        this.router?.receive(from, bytes, reliable);
        this.wake?.();
      },
      linksChanged: () => {
        this.refreshCounters();
        this.sync?.askOpenLinks();
      },
      neighbourLost: () => this.refreshCounters(),
      control: (from, msg) => this.onControl(from, msg),
      drain: () => this.router?.pump(),
    }, this.now);
    this.mesh = mesh;
    this.router = new FrameRouter(mesh, () => this.algo, undefined, this.tuning.maxHeldBytes);
    this.router.onData = (from) => this.staleness.heard(from, this.st.steps);
  }

  private onEpoch(payload: EpochPayload): void {
    if (!this.config || !this.mesh) return; // before our welcome: the welcome carries the epoch
    const r = applyMembersChange(this.latest.members, this.latest.epoch, payload);
    if (r.kind === 'stale') return;
    if (r.kind === 'gap') {
      // An epoch's news was lost (a cluster process's Redis subscription dropped): the member
      // list cannot be rebuilt, so join again for a whole one; the rejoin keeps our model.
      this.st.epochGaps++;
      this.session?.reconnect();
      return;
    }
    const e: Placement = { epoch: payload.epoch, neighbours: { ...payload.neighbours, members: r.members }, members: r.members };
    this.latest = e;
    if (this.algo && this.router) {
      this.router.send(this.algo.setEpoch(e.epoch, e.neighbours));
      this.st.kernels = this.algo.kernelKind?.() ?? null; // 'auto' may fall back to js on a new epoch
    }
    this.applyNeighbours(e.epoch, e.neighbours, e.members);
  }

  private applyNeighbours(epoch: number, nb: PeerNeighbours, members: number[]): void {
    const targets = linkTargets(this.config!.algorithm, this.st.peerId!, nb);
    this.sources = new Set(nb.rIn.length + nb.cIn.length > 0 ? [...nb.rIn, ...nb.cIn] : targets);
    this.staleness.retain(targets);
    this.mesh!.setNeighbours(epoch, targets, members);
    this.st.epoch = epoch;
    this.st.members = members.length;
    this.st.neighboursWanted = targets.size;
  }

  private startLoop(cfg: RunConfig): void {
    if (this.loop) {
      // A rejoin keeps the running loop (it reads the new algorithm), but the phase must leave
      // 'reconnecting': the page said "Lost the server; reconnecting..." for good after a rejoin.
      this.setPhase(this.st.paused ? 'paused' : 'training');
      return;
    }
    const local = this.local!;
    const slowdown = Math.max(1, this.opts.slowdown ?? 1);
    this.loop = new StepLoop({
      algorithm: () => this.algo!,
      gradient: async (x, out) => {
        const t = this.now();
        const loss = await local.gradient(x, out);
        if (slowdown > 1) await new Promise((r) => setTimeout(r, (slowdown - 1) * (this.now() - t)));
        return loss;
      },
      send: (out) => this.router!.send(out),
      now: this.now,
      waitForWork: (ms) => new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.wake = done;
      }),
      idleWaitMs: this.tuning.idleWaitMs,
      yieldNow: yieldToEventLoop,
      maxGradientRetries: this.tuning.maxGradientRetries,
      // An algorithm with slots (R-FAST) never waits for the network: its scheduler sends what the
      // links can take. Only envelope algorithms pace to their uplink.
      congested: () => !this.algo?.slots && (this.mesh?.congested(this.tuning.paceFraction * cfg.maxBufferedBytes) ?? false),
      maxPaceMs: this.tuning.maxPaceMs,
      paceCheckMs: this.tuning.paceCheckMs,
      onStep: () => this.afterStep(cfg),
      onDiverged: (tries) => this.fail(new PeerError('diverged', `${tries} minibatches in a row gave a non-finite gradient`)),
    });
    this.loop.setPaused(this.st.paused);
    this.st.startedAt = Date.now();
    this.setPhase(this.st.paused ? 'paused' : 'training');
    this.loop.start();
  }

  private afterStep(cfg: RunConfig): void {
    const c = this.loop!.counters;
    this.st.steps = c.steps;
    if (c.steps > 0) this.timeline.finish();
    this.st.samples = c.steps * cfg.batchSize;
    this.st.loss = c.lastLoss;
    if (cfg.maxSteps > 0 && c.steps >= cfg.maxSteps) void this.loop!.stop();
    if (cfg.evalEverySteps > 0 && c.steps % cfg.evalEverySteps === 0) void this.evaluate(cfg);
  }

  private async evaluate(cfg: RunConfig): Promise<void> {
    if (!this.local || !this.algo) return;
    const acc = await this.local.accuracy(this.algo.model().slice(), cfg.evalSamples);
    if (acc !== null) this.st.accuracy = acc;
  }

  /** New links use these servers; links already open keep theirs (their relay allocation lives on). */
  private applyIce(payload: unknown): void {
    const v = validateIceServers(payload);
    if (!v.ok) return; // a malformed list from the server: keep the last good one
    this.ice = v.value;
    this.st.iceExpiresAt = v.value.expiresAt;
  }

  private sendTelemetry(): void {
    if (!this.session?.connected) return;
    // Route and RTT come from getStats (async): this report carries the previous reading.
    void this.mesh?.linkReports(PROTOCOL_LIMITS.maxLinksReported).then((links) => (this.st.links = links));
    const s = this.status();
    this.session.emit('telemetry', this.meter.report(s, PROTOCOL_LIMITS.maxNeighbours));
    this.st.stepsPerSec = this.meter.stepsPerSec;
  }

  private refreshCounters(): void {
    const m = this.mesh?.totals();
    const r = this.router?.counters;
    const a = this.algo?.stats();
    const c = this.loop?.counters;
    if (m) {
      Object.assign(this.st, {
        neighboursOpen: m.openLinks, framesSent: m.framesSent, framesReceived: m.framesReceived,
        framesLost: m.framesLost, bytesSent: m.bytesSent, bytesReceived: m.bytesReceived,
        unreliableSent: m.unreliableSent, injectedDrops: m.injectedDrops, backpressureSkips: m.backpressureSkips,
      });
      this.st.framesRejected = m.controlRejected + (r?.framesRejected ?? 0) + (a?.rejected ?? 0);
    }
    if (c) Object.assign(this.st, { computeMs: c.computeMs, commMs: c.commMs, blockedMs: c.blockedMs });
    this.st.staleness = this.st.steps > 0 ? this.staleness.mean(this.sources, this.st.steps) : null;
    const transit = this.algo?.transitEstimate?.() ?? null;
    this.st.massInTransit = transit !== null && transit.gradient > 0 ? transit.transit / transit.gradient : null;
    this.st.computeShare = c && c.trainingMs > 0 ? Math.min(1, c.computeMs / c.trainingMs) : null;
    this.st.evidence = evidenceReport(this.algo?.senderEvidence?.());
  }

  private setPhase(p: PeerStatus['phase']): void {
    this.st.phase = p;
    this.timeline.mark(p);
    this.opts.onChange?.(this.status());
  }

  private fail(e: unknown): void {
    const text = e instanceof Error ? e.message : String(e);
    const err = e instanceof PeerError ? e : new PeerError(e instanceof BackendError ? 'no-backend' : 'internal', text);
    this.st.error = { code: err.code, message: err.message, detail: err.detail, advice: err.advice };
    this.setPhase('error');
    // The owner should see why this peer leaves: its last report says the model diverged.
    if (err.code === 'diverged') this.sendTelemetry();
    void this.stop();
  }
}
