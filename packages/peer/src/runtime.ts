import { createAlgorithm } from '@starling/core';
import { PROTOCOL_LIMITS, samplesPerStep, validateIceServers, type EpochPayload, type GrowPayload, type IceServersPayload, type WelcomePayload } from '@starling/protocol';
import { BackendError, initialParams, TRAINING_DEFAULTS, type BackendAttempt } from '@starling/training';
import { DEFAULT_TUNING, type PeerRuntimeTuning } from './config';
import { lazyPageCompute, type Compute, type Training } from './compute';
import { StartupTimeline } from './startup-timeline';
import { PeerError } from './errors';
import { JoinedRun, type KeptFromRun } from './joined-run';
import { RunNetwork } from './run-network';
import { ServerSession } from './server-session';
import { chooseStartingModel } from './starting-model';
import { globalWrtc } from './webrtc-transport';
import { initialStatus, type PeerStatus } from './status';
import { TelemetryMeter } from './telemetry';
import type { PeerRuntimeOptions } from './runtime-options';
import { countersInto } from './status-counters';
import { runSendShare } from './send-budget';
import { EvidenceAlert, evidenceReport } from './evidence';

/**
 * One volunteer peer: picks a TF.js backend, joins the run over socket.io, downloads its shard,
 * connects to its neighbours over WebRTC and trains with the run's algorithm until stopped.
 *
 * This is the lifecycle shell: the backend check, the server session, the timers and the status.
 * Each welcome builds its own RunNetwork at once (neighbours offer as soon as we are announced),
 * then, once the local training is ready, one JoinedRun holding everything that trains.
 */
export class PeerRuntime {
  private readonly st: PeerStatus = initialStatus();
  private readonly tuning: PeerRuntimeTuning;
  private readonly evidenceAlert = new EvidenceAlert();
  private lastAlertAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly compute: Compute;
  private readonly meter: TelemetryMeter;
  private readonly timeline: StartupTimeline;
  private session: ServerSession | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private uploadCap: number | null;
  /** Backends that failed when the peer started: the speed trial times every other one. */
  private failedAtStart: BackendAttempt[] = [];
  /** The start-up backend check: the speed trial (after the welcome) waits for it. */
  private checked: Promise<void> = Promise.resolve();
  /** ICE servers for new links: from the welcome, then each `ice-servers` refresh (fresh TURN credentials). */
  private ice: IceServersPayload = { iceServers: [], expiresAt: null };
  /** The current welcome's network: from the welcome on, before its run can train. */
  private network: RunNetwork | null = null;
  /** The current welcome's run, once it has its training and algorithm. */
  private run: JoinedRun | null = null;
  /**
   * The local training of the current run, ready or still downloading: it outlives rejoins (a
   * welcome that comes while the one before still downloads waits for the same download).
   */
  private training: { runId: string; ready: Promise<Training> } | null = null;
  /** What the last JoinedRun left for the next welcome of its run (its loop finishing a step first). */
  private left: { runId: string; kept: Promise<KeptFromRun> } | null = null;
  /** Counts welcomes, so one that a newer welcome overtook while it downloaded gives up. */
  private welcomes = 0;

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
    if (this.network) this.st.uplinkBytesPerSec = this.network.setUploadCap(this.uploadCap);
  }

  status(): PeerStatus {
    this.refreshCounters();
    return { ...this.st, startup: this.timeline.list(), startupBeganAt: this.timeline.beganAt, download: this.st.download && { ...this.st.download } };
  }

  /**
   * A copy of the model this peer evaluates and uploads: its current model (x_i, or x_i / w_i for
   * push-sum), or its average over the run's `modelAverageSteps` when the run keeps one.
   */
  model(): Float32Array | null {
    return this.run ? this.run.reported() : null;
  }

  async start(): Promise<void> {
    if (this.st.phase !== 'idle' && this.st.phase !== 'stopped' && this.st.phase !== 'error') return;
    Object.assign(this.st, initialStatus(), { computeIn: this.compute.where });
    this.timeline.begin();
    try {
      this.setPhase('selecting-backend');
      // Check that a backend works (no model yet), and say hello meanwhile: the welcome, the
      // network and the neighbours' offers need no backend, and with four tabs on two cores the
      // hello's answer took up to 1.7 s after a check of up to 4 s (issue 14). The speed trial
      // (after the welcome) waits for the check, then times the run's own model on every
      // candidate. A peer whose check fails leaves the run at once (fail -> stop).
      const checked = this.compute.checkBackends(this.opts.backends ?? TRAINING_DEFAULTS.backendOrder, this.opts.backendOptions).then((report) => {
        if (this.st.phase === 'stopped' || this.st.phase === 'error') return;
        this.st.computeIn = this.compute.where; // a worker that failed to start falls back to the page
        this.st.backend = report.backend;
        this.st.backendAttempts = report.attempts;
        this.st.device = report.device ?? null;
        this.st.softwareGpu = report.software === true;
        this.failedAtStart = report.attempts.filter((a) => !a.ok);
        if (this.st.phase === 'selecting-backend') this.setPhase('connecting');
      });
      this.checked = checked;
      await Promise.all([checked, this.connect()]);
    } catch (e) {
      this.fail(e);
    }
  }

  async stop(): Promise<void> {
    this.welcomes++; // a welcome still setting up gives up
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.session?.close();
    this.session = null;
    this.network?.close();
    this.network = null;
    const run = this.run;
    this.run = null;
    this.left = null;
    await run?.leave();
    await this.dropTraining();
    if (this.st.phase !== 'error') this.setPhase('stopped');
  }

  private connect(): Promise<void> {
    this.session = new ServerSession({
      serverUrl: this.opts.serverUrl,
      welcomeTimeoutMs: this.tuning.welcomeTimeoutMs,
      reconnectDelayMs: this.tuning.reconnectDelayMs,
      hello: () => ({
        role: 'peer',
        // Before the check ends the server lists us as checking; our telemetry names the backend.
        backend: this.st.backend ?? 'checking',
        device: this.st.device?.slice(0, PROTOCOL_LIMITS.maxDeviceChars),
        userAgent: globalThis.navigator?.userAgent?.slice(0, PROTOCOL_LIMITS.maxUserAgentChars),
      }),
      handlers: {
        welcome: (w) => this.onWelcome(w),
        epoch: (e) => this.onEpoch(e),
        grow: (g) => this.onGrow(g),
        signal: (sig) => this.network?.mesh.onSignal(sig.from, sig.data),
        ice: (payload) => this.applyIce(payload),
        runState: (r) => {
          this.st.paused = r.paused;
          this.st.lossRate = r.lossRate;
          this.run?.loop.setPaused(r.paused);
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
   * Every welcome ends the run object of the one before. A later welcome of the same run (we were
   * reconnected) rejoins with our current model, training and step counts; a welcome of another
   * run (the owner started a new one) starts over with that run's model, data and algorithm.
   */
  private async onWelcome(w: WelcomePayload): Promise<void> {
    const mine = ++this.welcomes;
    const old = this.run;
    this.run = null;
    this.network?.close(); // frames of the new membership must not reach the old algorithm
    if (old) this.left = { runId: old.runId, kept: old.leave() };
    if (this.training && this.training.runId !== w.runId) {
      // Another run: nothing of the old one carries over.
      const leaving = this.left?.kept;
      this.left = null;
      await leaving;
      await this.dropTraining();
      if (mine !== this.welcomes) return;
      const { backend, backendAttempts, device, softwareGpu, paused, lossRate } = this.st;
      Object.assign(this.st, initialStatus(), { backend, backendAttempts, device, softwareGpu, paused, lossRate, computeIn: this.compute.where });
    }
    const cfg = w.config;
    this.st.peerId = w.peerId;
    this.st.runId = w.runId;
    this.st.algorithm = cfg.algorithm;
    this.applyIce(w.ice);
    this.startTimers(w);
    const wrtc = this.opts.wrtc ?? globalWrtc();
    if (!wrtc) throw new PeerError('peer-connection-failed', 'this runtime has no RTCPeerConnection (WebRTC)');
    // The network comes first: neighbours offer connections as soon as the server announces us,
    // and an offer that arrives while we download would be lost.
    const network = new RunNetwork({
      peerId: w.peerId,
      config: cfg,
      placement: { epoch: w.epoch, grows: 0, neighbours: w.neighbours, members: w.neighbours.members },
      tuning: this.tuning,
      createPeer: this.opts.createPeer,
      wrtc,
      uploadCap: this.uploadCap,
      rtcConfig: () => ({ iceServers: this.ice.iceServers.map((s) => ({ ...s })), iceTransportPolicy: cfg.iceTransportPolicy }),
      lossRate: () => this.st.lossRate,
      steps: () => this.st.steps,
      signal: (to, data) => this.session?.emit('signal', { to, data: data as never }),
      changed: () => this.refreshCounters(),
    }, this.now);
    this.network = network;
    this.st.uplinkBytesPerSec = network.uplink.bytesPerSec;
    this.st.latencyMs = cfg.network.latencyMs;
    this.showPlacement();

    if (!this.training) {
      const ready = this.createTraining(w);
      const entry = { runId: w.runId, ready };
      this.training = entry;
      // A failed download is not kept: the next welcome tries again.
      ready.catch(() => this.training === entry && (this.training = null));
    }
    const left = this.left?.runId === w.runId ? await this.left.kept : null;
    // A run left before its first step (it was still syncing) has no model of its own to go on from.
    const kept = left !== null && left.counters.steps > 0 ? left : null;
    const training = await this.training.ready;
    // A newer welcome (or stop) overtook this one while it downloaded: that one goes on.
    if (mine !== this.welcomes) return;
    // Epoch news may have come in while we downloaded: the algorithm starts in the newest one.
    const { epoch, neighbours } = network.placement;
    const sendShare = runSendShare(cfg, this.tuning.defaultSendShare);
    const algo = (this.opts.createAlgorithm ?? createAlgorithm)(cfg.algorithm, {
      ...(sendShare === undefined ? {} : { sendShare }),
      ...cfg.algorithmOptions, // validated against the algorithm's descriptor by the run config
      id: w.peerId,
      x0: kept?.model ?? initialParams(w.task.model, cfg.seed),
      lr: cfg.lr,
      blockSize: cfg.blockSize,
      epoch,
      neighbours,
      seed: cfg.seed + w.peerId,
    });
    this.st.kernels = algo.kernelKind?.() ?? null;
    const run = new JoinedRun({ welcome: w, network, training, algo, counters: kept?.counters }, {
      now: this.now,
      tuning: this.tuning,
      serverUrl: this.opts.serverUrl,
      slowdown: this.opts.slowdown ?? 1,
      onStep: (c) => {
        this.st.steps = c.steps;
        if (c.steps > 0) this.timeline.finish();
        this.st.samples = c.steps * samplesPerStep(cfg);
        this.st.loss = c.lastLoss;
      },
      onAccuracy: (acc) => (this.st.accuracy = acc),
      onDiverged: (e) => this.fail(e),
      mark: (what) => this.timeline.mark(what),
    });
    this.run = run;
    this.left = null;
    this.st.startedFrom = kept
      ? 'own model (rejoined)'
      : await chooseStartingModel({ welcome: w, algo, network, handoffTimeoutMs: this.tuning.handoffTimeoutMs, serverUrl: this.opts.serverUrl, syncing: () => this.setPhase('syncing') });
    if (this.run !== run) return; // left while it synced
    this.st.task = w.task.id;
    this.st.startedAt ??= Date.now();
    this.setPhase(this.st.paused ? 'paused' : 'training');
    run.start(this.st.paused);
  }

  /** Dispose of the current run's local training, once it is ready (or failed). */
  private async dropTraining(): Promise<void> {
    const t = this.training;
    this.training = null;
    const training = await t?.ready.catch(() => null);
    await training?.dispose();
  }

  /** Download this run's data and build its model on the fastest backend (timed on that model). */
  private async createTraining(w: WelcomePayload): Promise<Training> {
    await this.checked; // the candidates are the backends the check did not rule out
    this.setPhase('downloading');
    const url = (path: string) => new URL(path, this.opts.serverUrl).href;
    // Every candidate that did not fail at start is timed on this run's model (a new run's model
    // may favour another backend).
    const failedAtStart = this.failedAtStart;
    const candidates = (this.opts.backends ?? TRAINING_DEFAULTS.backendOrder).filter((b) => !failedAtStart.some((a) => a.name === b));
    const training = await this.compute.createTraining(
      { cfg: w.config, task: w.task, peerId: w.peerId, shardUrl: url(w.shard.url), testUrl: url(w.testUrl), backends: candidates, backendOptions: this.opts.backendOptions },
      {
        download: (loaded, total) => (this.st.download = { loaded, total }),
        trial: (b) => {
          this.st.activity = b === null ? null : `timing ${b} on this run's model`;
          this.timeline.mark(b === null ? 'after the speed trial' : `timing ${b}`);
        },
      },
    );
    const report = training.backendReport;
    if (report) {
      // The trial reports on the candidates, with speeds; the others failed at start.
      this.st.backend = report.backend;
      this.st.backendAttempts = [...failedAtStart, ...report.attempts];
      this.st.device = report.device ?? null;
      this.st.softwareGpu = report.software === true;
    }
    return training;
  }

  /** Telemetry, heartbeats and snapshots run from the welcome on, so a peer that is still
   * downloading or syncing is not taken for dead. */
  private startTimers(w: WelcomePayload): void {
    const cfg = w.config;
    for (const t of this.timers) clearInterval(t);
    this.timers = [
      setInterval(() => this.network?.mesh.heartbeat(cfg.peerTimeoutMs, cfg.heartbeatIntervalMs), cfg.heartbeatIntervalMs),
      setInterval(() => this.sendTelemetry(), cfg.telemetryIntervalMs),
      setInterval(() => this.alertOnEvidence(), this.tuning.evidenceCheckMs),
    ];
    if (cfg.snapshotIntervalMs > 0) this.timers.push(setInterval(() => void this.uploadSnapshot(), cfg.snapshotIntervalMs));
  }

  private async uploadSnapshot(): Promise<void> {
    const ok = await this.run?.uploadSnapshot();
    if (ok === true) this.st.snapshotsUploaded++;
    else if (ok === false) this.st.snapshotsFailed++;
  }

  private onEpoch(payload: EpochPayload): void {
    const network = this.network;
    if (!network) return; // before our welcome: the welcome carries the epoch
    const p = network.onEpoch(payload);
    if (p === null) return;
    if (p === 'gap') {
      // An epoch's news was lost (a cluster process's Redis subscription dropped): the member
      // list cannot be rebuilt, so join again for a whole one; the rejoin keeps our model.
      this.st.epochGaps++;
      this.session?.reconnect();
      return;
    }
    if (this.run) {
      this.run.onEpoch(p);
      this.st.kernels = this.run.algo.kernelKind?.() ?? null; // 'auto' may fall back to js on a new epoch
    } else network.follow(p);
    this.showPlacement();
  }

  /** Our lists changed within the epoch (joiners attached, neighbours left): the algorithm keeps its state. */
  private onGrow(payload: GrowPayload): void {
    const network = this.network;
    if (!network) return;
    const p = network.onGrow(payload);
    if (p === null) return;
    // A missed epoch, or lists our algorithm cannot grow into: join again for a whole placement.
    if (p === 'gap' || (this.run !== null && !this.run.onGrow(p, payload.removed))) {
      this.st.epochGaps++;
      this.session?.reconnect();
      return;
    }
    if (!this.run) network.follow(p);
    this.showPlacement();
  }

  private showPlacement(): void {
    const n = this.network!;
    this.st.epoch = n.placement.epoch;
    this.st.members = n.placement.members.length;
    this.st.neighboursWanted = n.neighboursWanted;
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
    void this.network?.mesh.linkReports(PROTOCOL_LIMITS.maxLinksReported).then((links) => (this.st.links = links));
    const s = this.status();
    this.session.emit('telemetry', this.meter.report(s, PROTOCOL_LIMITS.maxNeighbours));
    this.st.stepsPerSec = this.meter.stepsPerSec;
  }

  /**
   * Sends telemetry at once when our evidence against a sender starts to count (EvidenceAlert), at
   * most once per evidenceAlertGapMs: the server limits a connection's events, and a sender whose
   * share hovers at a threshold would otherwise alert at every check. A skipped alert's evidence
   * goes with the next regular report.
   */
  private alertOnEvidence(): void {
    const algo = this.run?.algo;
    if (algo?.senderEvidence === undefined) return;
    const fresh = this.evidenceAlert.check(evidenceReport(algo.senderEvidence()));
    const now = this.now();
    if (!fresh || now - this.lastAlertAt < this.tuning.evidenceAlertGapMs) return;
    this.lastAlertAt = now;
    this.sendTelemetry();
  }

  private refreshCounters(): void {
    countersInto(this.st, this.network, this.run);
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
