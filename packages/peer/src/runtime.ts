import { createAlgorithm, Rng, type Algorithm, type PeerNeighbours } from '@starling/core';
import { ShardSampler, type DecodedSet } from '@starling/mnist';
import {
  PROTOCOL_LIMITS,
  type ClientToServer,
  type EpochPayload,
  type RunConfig,
  type ServerToClient,
  type WelcomePayload,
} from '@starling/protocol';
import { BackendError, initialParams, Trainer, type BackendName, type SelectBackendOptions } from '@starling/training';
import { io, type Socket } from 'socket.io-client';
import { DEFAULT_TUNING, type PeerRuntimeTuning } from './config';
import { downloadSet } from './data-loader';
import { downloadCheckpoint, uploadSnapshot } from './server-uploads';
import { PeerError } from './errors';
import type { ControlMessage } from './control';
import { FrameRouter } from './frames';
import { handoffEnvelopes, HandoffReceiver } from './handoff';
import type { CreatePeer } from './link';
import { linkTargets } from './link-targets';
import { Mesh } from './mesh';
import { initialStatus, type PeerStatus } from './status';
import { StepLoop } from './step-loop';
import { TelemetryMeter } from './telemetry';
import { yieldToEventLoop } from './yield';

export interface PeerRuntimeOptions {
  /** Origin of the Starling server, e.g. `location.origin`. */
  serverUrl: string;
  /** simple-peer constructor: the browser bundle, or simple-peer + wrtc in Node. */
  createPeer: CreatePeer;
  backends?: readonly BackendName[];
  backendOptions?: SelectBackendOptions;
  tuning?: Partial<PeerRuntimeTuning>;
  /** Called whenever the phase changes or an error occurs (the page also polls `status()`). */
  onChange?: (s: PeerStatus) => void;
  now?: () => number;
}

type ClientSocket = Socket<ServerToClient, ClientToServer>;

/**
 * One volunteer peer: picks a TF.js backend, joins the run over socket.io, downloads its shard,
 * connects to its neighbours over WebRTC and trains with the run's algorithm until stopped.
 */
export class PeerRuntime {
  private readonly st: PeerStatus = initialStatus();
  private readonly tuning: PeerRuntimeTuning;
  private readonly now: () => number;
  private socket: ClientSocket | null = null;
  private trainer: Trainer | null = null;
  private algo: Algorithm | null = null;
  private config: RunConfig | null = null;
  private mesh: Mesh | null = null;
  private router: FrameRouter | null = null;
  private loop: StepLoop | null = null;
  private sampler: ShardSampler | null = null;
  private testSet: DecodedSet | null = null;
  private batchX = new Float32Array(0);
  private batchY = new Int32Array(0);
  private timers: ReturnType<typeof setInterval>[] = [];
  private wake: (() => void) | null = null;
  private meter: TelemetryMeter;
  private evaluating = false;
  /** While a joiner waits for a model: called when links open, and to give up on stop. */
  private onLinksOpen: (() => void) | null = null;
  private cancelSync: (() => void) | null = null;
  private uploadToken: string | null = null;

  constructor(private readonly opts: PeerRuntimeOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.now = opts.now ?? (() => performance.now());
    this.meter = new TelemetryMeter(this.now);
  }

  status(): PeerStatus {
    this.refreshCounters();
    return { ...this.st, download: this.st.download && { ...this.st.download } };
  }

  /** A copy of the current model (x_i, or x_i / w_i for push-sum). */
  model(): Float32Array | null {
    return this.algo ? this.algo.model().slice() : null;
  }

  async start(): Promise<void> {
    if (this.st.phase !== 'idle' && this.st.phase !== 'stopped' && this.st.phase !== 'error') return;
    Object.assign(this.st, initialStatus());
    try {
      this.setPhase('selecting-backend');
      // A throwaway trainer just to pick and self-check the backend before we tell the server.
      const probe = await Trainer.create({ kind: 'mlp', hidden: [8] }, {
        backends: this.opts.backends ?? ['webgpu', 'webgl', 'wasm', 'cpu'],
        backendOptions: this.opts.backendOptions,
      });
      const report = probe.backendReport!;
      await probe.dispose();
      this.st.backend = report.backend;
      this.st.backendAttempts = report.attempts;
      this.st.device = report.device ?? null;
      this.setPhase('connecting');
      await this.connect();
    } catch (e) {
      this.fail(e);
    }
  }

  async stop(): Promise<void> {
    this.cancelSync?.();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.socket?.emit('leave', {});
    this.socket?.disconnect();
    this.socket = null;
    await this.loop?.stop();
    this.loop = null;
    this.mesh?.close();
    this.mesh = null;
    await this.trainer?.dispose();
    this.trainer = null;
    if (this.st.phase !== 'error') this.setPhase('stopped');
  }

  private connect(): Promise<void> {
    const socket: ClientSocket = io(this.opts.serverUrl, { transports: ['websocket'] });
    this.socket = socket;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new PeerError('server-unreachable', `no answer from ${this.opts.serverUrl} within ${this.tuning.welcomeTimeoutMs} ms`)),
        this.tuning.welcomeTimeoutMs,
      );
      socket.on('connect', () => {
        socket.emit('hello', {
          role: 'peer',
          backend: this.st.backend ?? 'cpu',
          device: this.st.device?.slice(0, PROTOCOL_LIMITS.maxDeviceChars),
          userAgent: globalThis.navigator?.userAgent?.slice(0, PROTOCOL_LIMITS.maxUserAgentChars),
        });
      });
      socket.on('disconnect', (reason) => {
        if (this.socket !== socket || this.st.phase === 'stopped' || this.st.phase === 'error') return;
        this.setPhase('reconnecting');
        // socket.io retries by itself except when the server closed us (e.g. it timed us out
        // while we were busy); then we knock again, and the new welcome rejoins with our model.
        if (reason === 'io server disconnect') setTimeout(() => this.socket === socket && socket.connect(), this.tuning.reconnectDelayMs);
      });
      let first = true;
      socket.on('welcome', (w) => {
        clearTimeout(timer);
        const done = this.onWelcome(w);
        if (first) done.then(resolve, reject);
        else done.catch((e) => this.fail(e));
        first = false;
      });
      socket.on('rejected', (r) => {
        if (r.event === 'hello') {
          clearTimeout(timer);
          reject(new PeerError('server-rejected', `${r.code}: ${r.message}`));
        }
      });
      socket.on('epoch', (e) => this.onEpoch(e));
      socket.on('signal', (s) => this.mesh?.onSignal(s.from, s.data));
      socket.on('run-state', (r) => {
        this.st.paused = r.paused;
        this.st.lossRate = r.lossRate;
        this.loop?.setPaused(r.paused);
        if (this.router) this.router.lossRate = r.lossRate;
        if (this.st.phase === 'training' || this.st.phase === 'paused') this.setPhase(r.paused ? 'paused' : 'training');
      });
    });
  }

  /**
   * First welcome: set everything up. A later welcome of the same run (we were reconnected):
   * rejoin with our current model. A welcome of another run (the owner started a new one): start
   * over with that run's model, data and algorithm.
   */
  private async onWelcome(w: WelcomePayload): Promise<void> {
    const sameRun = this.trainer !== null && this.st.runId === w.runId;
    if (this.trainer && !sameRun) await this.resetForNewRun();
    const previous = sameRun ? this.algo!.model().slice() : null;
    this.config = w.config;
    this.uploadToken = w.uploadToken;
    this.st.peerId = w.peerId;
    this.st.runId = w.runId;
    this.st.algorithm = w.config.algorithm;
    const cfg = w.config;
    this.startTimers(cfg);
    if (!this.trainer) await this.prepareData(w);
    const spec = { kind: 'mlp' as const, hidden: cfg.model.hidden };
    this.algo = createAlgorithm(cfg.algorithm, {
      ...cfg.algorithmOptions,
      id: w.peerId,
      x0: previous ?? initialParams(spec, cfg.seed),
      lr: cfg.lr,
      blockSize: cfg.blockSize,
      epoch: w.epoch,
      neighbours: w.neighbours,
      seed: cfg.seed + w.peerId,
    });
    this.setupNetwork(cfg);
    this.applyNeighbours(w.epoch, w.neighbours, w.neighbours.members);
    if (previous) this.st.startedFrom = 'own model (rejoined)';
    else await this.chooseStartingModel(w, cfg);
    this.startLoop(cfg);
  }

  private async prepareData(w: WelcomePayload): Promise<void> {
    const cfg = w.config;
    this.setPhase('downloading');
    const progress = (loaded: number, total: number | null) => {
      this.st.download = { loaded, total };
    };
    const shard = await downloadSet(new URL(w.shard.url, this.opts.serverUrl).href, {}, progress);
    this.sampler = new ShardSampler(shard, { batchSize: cfg.batchSize, seed: cfg.seed + w.peerId });
    this.batchX = new Float32Array(cfg.batchSize * shard.rows * shard.cols);
    this.batchY = new Int32Array(cfg.batchSize);
    this.trainer = await Trainer.create({ kind: 'mlp', hidden: cfg.model.hidden });
    if (cfg.evalEverySteps > 0) {
      // The tab's own accuracy is informative only; the test set downloads in the background.
      downloadSet(new URL(w.testUrl, this.opts.serverUrl).href, {}).then((t) => (this.testSet = t), () => {});
    }
  }

  /**
   * algorithms.md 1.6: a joiner copies x from a neighbour (freshest), else from the run's latest
   * checkpoint, so it does not drag the others back to x0.
   */
  private async chooseStartingModel(w: WelcomePayload, cfg: RunConfig): Promise<void> {
    const algo = this.algo!;
    if (w.neighbours.members.some((id) => id !== w.peerId)) {
      this.setPhase('syncing');
      const got = await this.syncModel(cfg);
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
    this.st.startedFrom = w.neighbours.members.length > 1 ? 'x0 (no neighbour answered)' : 'x0 (first peer)';
  }

  private async resetForNewRun(): Promise<void> {
    this.cancelSync?.();
    await this.loop?.stop();
    this.loop = null;
    this.mesh?.close();
    this.mesh = null;
    this.router = null;
    this.algo = null;
    await this.trainer?.dispose();
    this.trainer = null;
    this.sampler = null;
    this.testSet = null;
    const { backend, backendAttempts, device, paused, lossRate } = this.st;
    Object.assign(this.st, initialStatus(), { backend, backendAttempts, device, paused, lossRate });
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
    const url = new URL(`/api/runs/${encodeURIComponent(this.st.runId)}/snapshots`, this.opts.serverUrl).href;
    try {
      await uploadSnapshot(url, this.st.peerId!, this.uploadToken, this.st.steps, this.algo.model().slice());
      this.st.snapshotsUploaded++;
    } catch {
      this.st.snapshotsFailed++; // the server may be restarting; the next interval tries again
    }
  }

  /** Ask every neighbour whose link opens for its model; take the first complete copy. */
  private syncModel(cfg: RunConfig): Promise<{ model: Float32Array; from: number } | null> {
    const requestId = crypto.getRandomValues(new Uint32Array(1))[0];
    const rx = new HandoffReceiver(requestId, this.algo!.dim, cfg.blockSize);
    const asked = new Set<number>();
    return new Promise((resolve) => {
      const finish = (r: { model: Float32Array; from: number } | null) => {
        clearTimeout(timer);
        this.onLinksOpen = null;
        this.cancelSync = null;
        if (this.router) this.router.onHandoff = null;
        resolve(r);
      };
      const ask = () => {
        for (const id of this.mesh?.openIds() ?? []) {
          if (!asked.has(id) && this.mesh!.sendControl(id, { t: 'model-req', id: requestId })) asked.add(id);
        }
      };
      const timer = setTimeout(() => finish(null), this.tuning.handoffTimeoutMs);
      this.cancelSync = () => finish(null);
      this.onLinksOpen = ask;
      this.router!.onHandoff = (msg) => {
        if (rx.accept(msg)) finish({ model: rx.model(), from: rx.from! });
      };
      ask();
    });
  }

  /** A joiner asked for our model: hand it over if we are training (not syncing ourselves). */
  private onControl(from: number, msg: ControlMessage): void {
    if (msg.t !== 'model-req' || !this.loop || !this.algo || !this.router || this.st.steps === 0) return;
    this.router.send(handoffEnvelopes(this.st.peerId!, from, msg.id, this.st.epoch, this.algo.model(), this.config!.blockSize));
  }

  private setupNetwork(cfg: RunConfig): void {
    this.mesh?.close();
    const mesh = new Mesh(this.st.peerId!, this.opts.createPeer, {
      ...this.tuning,
      unreliableHighWaterBytes: cfg.maxBufferedBytes,
      iceServers: cfg.iceServers,
    }, {
      signal: (to, data) => this.socket?.emit('signal', { to, data: data as never }),
      frame: (from, bytes) => {
        this.router?.receive(from, bytes);
        this.wake?.();
      },
      linksChanged: () => {
        this.refreshCounters();
        this.onLinksOpen?.();
      },
      neighbourLost: () => this.refreshCounters(),
      control: (from, msg) => this.onControl(from, msg),
    }, this.now);
    this.mesh = mesh;
    this.router = new FrameRouter(mesh, () => this.algo, new Rng(cfg.seed * 7919 + this.st.peerId!));
    this.router.lossRate = this.st.lossRate;
  }

  private onEpoch(e: EpochPayload): void {
    if (!this.algo || !this.router) return;
    this.router.send(this.algo.setEpoch(e.epoch, e.neighbours));
    this.applyNeighbours(e.epoch, e.neighbours, e.members);
  }

  private applyNeighbours(epoch: number, nb: PeerNeighbours, members: number[]): void {
    const targets = linkTargets(this.config!.algorithm, this.st.peerId!, nb);
    this.mesh!.setNeighbours(epoch, targets, members);
    this.st.epoch = epoch;
    this.st.members = members.length;
    this.st.neighboursWanted = targets.size;
  }

  private startLoop(cfg: RunConfig): void {
    if (this.loop) return; // a rejoin keeps the running loop; it reads the new algorithm
    const trainer = this.trainer!;
    const sampler = this.sampler!;
    this.loop = new StepLoop({
      algorithm: () => this.algo!,
      gradient: async (x, out) => {
        sampler.next(this.batchX, this.batchY);
        try {
          return await trainer.gradient(x, this.batchX, this.batchY, cfg.batchSize, out);
        } catch {
          return NaN; // a non-finite gradient: the loop retries with fresh data
        }
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
    this.st.samples = c.steps * cfg.batchSize;
    this.st.loss = c.lastLoss;
    if (cfg.maxSteps > 0 && c.steps >= cfg.maxSteps) void this.loop!.stop();
    if (cfg.evalEverySteps > 0 && c.steps % cfg.evalEverySteps === 0) void this.evaluate(cfg);
  }

  private async evaluate(cfg: RunConfig): Promise<void> {
    if (!this.testSet || !this.trainer || !this.algo || this.evaluating) return;
    this.evaluating = true;
    try {
      const n = Math.min(cfg.evalSamples, this.testSet.count);
      const r = await this.trainer.evaluate(this.algo.model().slice(), this.testSet.images, this.testSet.labels, n);
      this.st.accuracy = r.accuracy;
    } catch {
      /* evaluation is informative only; the server measures the real accuracy */
    } finally {
      this.evaluating = false;
    }
  }

  private sendTelemetry(): void {
    if (!this.socket?.connected) return;
    const s = this.status();
    this.socket.emit('telemetry', this.meter.report(s, PROTOCOL_LIMITS.maxNeighbours));
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
        injectedDrops: m.injectedDrops, backpressureSkips: m.backpressureSkips,
      });
      this.st.framesRejected = m.controlRejected + (r?.framesRejected ?? 0) + (a?.rejected ?? 0);
    }
    if (c) Object.assign(this.st, { computeMs: c.computeMs, commMs: c.commMs, blockedMs: c.blockedMs });
  }

  private setPhase(p: PeerStatus['phase']): void {
    this.st.phase = p;
    this.opts.onChange?.(this.status());
  }

  private fail(e: unknown): void {
    const text = e instanceof Error ? e.message : String(e);
    const err = e instanceof PeerError ? e : new PeerError(e instanceof BackendError ? 'no-backend' : 'internal', text);
    this.st.error = { code: err.code, message: err.message, advice: err.advice };
    this.setPhase('error');
    void this.stop();
  }
}
