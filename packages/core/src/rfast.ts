/**
 * R-FAST, robust fully-asynchronous gradient tracking (docs/algorithms.md section 1).
 *
 * Contract mapping: the first `applyGradient` is the initialisation g_i(x0) (z = g = grad). After
 * that `beginStep` runs steps 1-3 synchronously, `params` is x_new, and `applyGradient` runs step 4.
 * Steps 5-6 happen at send time: the step calls return no envelopes; a runtime pulls frames from
 * `slots` (rfast-sends.ts) whenever a link can carry one, each holding the newest v or running sum
 * of one block, all unreliable: a later running sum contains every earlier one, so loss,
 * duplication and reordering only delay mass. `receive` returns acknowledgements (reliable) for
 * frames a compact sender asked us to keep as a delta base.
 *
 * z is float64 (the spec's table says float32): z exchanges mass with the float64 running sums,
 * and float32 rounding there would break the conservation law of section 1.4 at the 1e-7 level.
 *
 * Step size: beginStep consumes arrived mass (step 3) before the descent (step 1), so the descent
 * uses the whole tracker and, on a regular graph, alpha is an ordinary single-worker rate (the
 * spec's order would scale it by C_ii = 1/(d+1)).
 */
import {
  MsgKind,
  type AlgoStats,
  type Algorithm,
  type CommonOptions,
  type Envelope,
  type Message,
  type PeerId,
  type PeerNeighbours,
  type SlotSource,
} from './contract';
import { allFinite, blockLayout, blockStart, type BlockLayout } from './blocks';
import { ConfigError, TopologyError } from './errors';
import { RFAST_DEFAULTS, RFAST_ENCODINGS, type RfastEncoding, type RfastEncodingName } from './rfast-config';
import { consumeDescendMix, track } from './rfast-kernels';
import { alignedBytes, kernelModule, KernelMemory, type KernelChoice, type SimdExports } from './rfast-simd';
import { MassLinks, PullLinks, validateNeighbours } from './rfast-links';
import { acceptMessage, type ReceiveState } from './rfast-messages';
import { MassOpposition } from './rfast-mass-opposition';
import { RfastSender } from './rfast-sends';
import { Evidence, type SenderEvidence } from './robust-evidence';
import { ClipRadius, ROBUST_MODES } from './robust-clip';

const NONE: Envelope[] = [];
const EMPTY = new Float32Array(0);

export interface RFastOptions extends CommonOptions {
  /**
   * Send increments C_ki * z_i instead of running sums (kind NaiveDelta); the receiver adds them
   * up. Loses mass whenever a message is lost: exists to show why R-FAST sends running sums.
   */
  naive?: boolean;
  /**
   * 'auto' (default): WebAssembly SIMD kernels for models of RFAST_DEFAULTS.simdMinDim coordinates
   * or more, where the runtime has them; 'simd' insists (ConfigError without); 'js' never. Both
   * compute the same values bit for bit.
   */
  kernels?: KernelChoice;
  /** How frames carry v and the running sums (RFAST_ENCODINGS); default RFAST_DEFAULTS.defaultEncoding. */
  encoding?: string;
  /** Share of z each push moves to the out-neighbours, in (0, 1]; default RFAST_DEFAULTS.pushShare. */
  pushShare?: number;
  /** Share of its slots a peer may send per step, in (0, 1]; default RFAST_DEFAULTS.sendShare. */
  sendShare?: number;
  /** Receiver pacing (rfast-pace.ts), >= 0; default RFAST_DEFAULTS.paceMargin; 0: off. */
  paceMargin?: number;
  /** Models' worth of slots per step split among the targets, >= 0; default RFAST_DEFAULTS.degreeBudget; 0: off. */
  degreeBudget?: number;
  /**
   * Byzantine-robust mixing (robust-clip.ts): 'clip' (default) mixes pulled copies clipped around
   * our own model x and refuses tracker mass beyond any honest increment; 'off' mixes and consumes
   * what arrives (magnitudes are bounded either way). The naive variant is always 'off'.
   */
  robust?: string;
}

/**
 * A peer's state, for invariant checks in tests: x, v, z, g and rho are live views (do not write
 * through them); rhoNew and rhoTilde are copies, assembled from the per-block buffers.
 */
export interface RFastInspection {
  readonly x: Float32Array;
  readonly v: Float32Array;
  readonly z: Float64Array;
  readonly g: Float32Array;
  /** Out-neighbour k on G_C -> rho_ki, everything pushed to k in this epoch (what k will rebuild once sent). */
  readonly rho: ReadonlyMap<PeerId, Float64Array>;
  /** In-neighbour j on G_C -> newest running sum received from j. */
  readonly rhoNew: ReadonlyMap<PeerId, Float64Array>;
  /** In-neighbour j on G_C -> the part of rhoNew already added to z. */
  readonly rhoTilde: ReadonlyMap<PeerId, Float64Array>;
  /** In-neighbour j on G_R -> the copy of v_j held (decoded; a view, as x and v are). */
  readonly pulled: ReadonlyMap<PeerId, Float32Array>;
  readonly seq: number;
  readonly epoch: number;
  /** False until the first gradient has initialised z and g. */
  readonly initialised: boolean;
}

export class RFast implements Algorithm {
  readonly name: 'rfast' | 'rfast-naive';
  readonly id: PeerId;
  readonly dim: number;

  private readonly naive: boolean;
  private readonly lr: number;
  private readonly layout: BlockLayout;
  private readonly encoding: RfastEncoding;
  private readonly pushShare: number;
  private sendShare: number;
  private readonly paceMargin: number;
  private readonly degreeBudget: number;
  /** In-neighbours on either graph: they pace what they send us by our RfastPace frames. */
  private paceTo: PeerId[] = [];
  /** Our step count when we last told them (RFAST_DEFAULTS.paceEverySteps apart). */
  private pacedAt = -Infinity;
  /**
   * State vectors live in the current epoch's KernelMemory and move to a new one on every epoch
   * change (useNeighbours), so these fields are reassigned there. x and x_new also swap roles each
   * step; model() and params() are views of whichever is current.
   */
  private x: Float32Array;
  private v: Float32Array;
  private xNew: Float32Array;
  private g: Float32Array;
  private z: Float64Array;
  /** SIMD only: the caller's gradient is copied here, since the kernels see only their memory. */
  private gradIn: Float32Array | null = null;
  /** Whether this peer runs the SIMD kernels; 'auto' falls back to JavaScript if wasm fails. */
  private simd: boolean;
  private readonly kernelChoice: KernelChoice;
  private kernels: SimdExports | null = null;

  private epoch: number;
  /** Steps taken (inspect().seq); frames carry their own counter, `frameSeq`. */
  private seq = 0;
  private frameSeq = 0;
  private slotVersion = 0;
  private initialised = false;
  private begun = false;
  /**
   * Consecutive steps that consumed no tracker mass; from RFAST_DEFAULTS.quietStepsBeforeStepPush
   * on, pushes happen at step time instead of waiting for the send. A new epoch starts quiet.
   */
  private quietSteps: number = RFAST_DEFAULTS.quietStepsBeforeStepPush;
  private pull: PullLinks | null = null;
  /** Neighbours whose links the runtime says are open (linksOpen); null: all. */
  private open: ReadonlySet<PeerId> | null = null;
  /** The lists the links were built from (grow may only add to them). */
  private lists!: Pick<PeerNeighbours, 'rIn' | 'rOut' | 'cIn' | 'cOut'>;
  private mass!: MassLinks;
  private sender!: RfastSender;
  private rx!: ReceiveState;
  /** Scratch list of the fresh pulled copies one block mixes. */
  private readonly mix: Float32Array[] = [];
  private readonly counters: AlgoStats = { steps: 0, messagesIn: 0, rejected: 0, stale: 0, clipped: 0 };
  private readonly evidence: Evidence;
  private readonly vRadius: ClipRadius | null;
  private readonly massRadius: ClipRadius | null;

  constructor(opts: RFastOptions) {
    if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new ConfigError(`lr must be a positive number, got ${opts.lr}`);
    if (!Number.isInteger(opts.blockSize) || opts.blockSize <= 0) {
      throw new ConfigError(`blockSize must be a positive integer, got ${opts.blockSize}`);
    }
    if (!(opts.x0 instanceof Float32Array) || opts.x0.length === 0 || !allFinite(opts.x0)) {
      throw new ConfigError('x0 must be a non-empty Float32Array of finite values');
    }
    if (!Number.isSafeInteger(opts.epoch) || opts.epoch < 0) {
      throw new ConfigError(`epoch must be a non-negative integer, got ${opts.epoch}`);
    }
    const encoding = opts.encoding ?? RFAST_DEFAULTS.defaultEncoding;
    if (!Object.hasOwn(RFAST_ENCODINGS, encoding)) {
      throw new ConfigError(`encoding must be one of ${Object.keys(RFAST_ENCODINGS).join(', ')}, got ${String(encoding)}`);
    }
    const robust = opts.robust ?? 'clip';
    if (!(ROBUST_MODES as readonly string[]).includes(robust)) throw new ConfigError(`robust must be one of ${ROBUST_MODES.join(', ')}, got ${String(robust)}`);
    this.naive = opts.naive === true;
    const share = opts.pushShare ?? RFAST_DEFAULTS.pushShare;
    if (!(share > 0 && share <= 1)) throw new ConfigError(`pushShare must be in (0, 1], got ${String(share)}`);
    this.pushShare = share;
    const sendShare = opts.sendShare ?? RFAST_DEFAULTS.sendShare;
    if (!(sendShare > 0 && sendShare <= 1)) throw new ConfigError(`sendShare must be in (0, 1], got ${String(sendShare)}`);
    this.sendShare = sendShare;
    const paceMargin = opts.paceMargin ?? RFAST_DEFAULTS.paceMargin;
    if (!(paceMargin >= 0 && paceMargin <= 16)) throw new ConfigError(`paceMargin must be in [0, 16], got ${String(paceMargin)}`);
    this.paceMargin = paceMargin;
    const degreeBudget = opts.degreeBudget ?? RFAST_DEFAULTS.degreeBudget;
    if (!(degreeBudget >= 0 && degreeBudget <= 64)) throw new ConfigError(`degreeBudget must be in [0, 64], got ${String(degreeBudget)}`);
    this.degreeBudget = degreeBudget;
    // The naive variant exists to lose mass: it sends whole float64 increments whatever the encoding.
    this.encoding = this.naive ? RFAST_ENCODINGS.f32 : RFAST_ENCODINGS[encoding as RfastEncodingName];
    this.name = this.naive ? 'rfast-naive' : 'rfast';
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.layout = blockLayout(this.dim, opts.blockSize);
    this.evidence = new Evidence(this.layout.count);
    // Kept across epochs (less the senders that are no longer neighbours: useNeighbours retains the
    // rest): a fresh radius would let every membership change open a window without clipping.
    const clip = robust === 'clip' && !this.naive;
    this.vRadius = clip ? new ClipRadius(this.layout.count) : null;
    this.massRadius = clip ? new ClipRadius(this.layout.count, { multiplier: 1 }) : null;
    // Initial values only: useNeighbours copies them into the epoch's KernelMemory.
    this.x = this.v = this.xNew = opts.x0;
    this.g = new Float32Array(this.dim);
    this.z = new Float64Array(this.dim);
    this.epoch = opts.epoch;
    const choice = opts.kernels ?? 'auto';
    this.kernelChoice = choice;
    if (choice !== 'auto' && choice !== 'simd' && choice !== 'js') throw new ConfigError(`kernels must be 'auto', 'simd' or 'js', got ${String(choice)}`);
    this.simd = choice === 'simd' || (choice === 'auto' && this.dim >= RFAST_DEFAULTS.simdMinDim && kernelModule() !== null);
    this.useNeighbours(opts.neighbours);
  }

  ready(): boolean {
    return true;
  }

  /** The slots a runtime sends from (steps 5-6 happen when it takes them). */
  get slots(): SlotSource {
    return this.sender;
  }

  /** Steps 1-3: descend along the tracker, pull-mix the fresh v's, consume new tracker mass. */
  beginStep(): Envelope[] {
    if (!this.initialised) return NONE; // the first gradient is taken at x0 and only initialises
    // Did tracker mass come in since the last step? (Step 3 below consumes it and clears the flags.)
    this.quietSteps = this.mass.fresh.indexOf(1) >= 0 ? 0 : this.quietSteps + 1;
    // Step 3 before step 1: descend along the tracker *with* the mass that has arrived. In the
    // spec's order step 1 sees only the share C_ii kept at step 5, which scales the step by
    // 1/(d+1); this way lr is an ordinary single-worker rate on a regular graph. The invariant
    // (section 1.4) does not involve x, so it is unaffected.
    consumeDescendMix(this.x, this.z, this.v, this.xNew, this.lr, this.pull as PullLinks, this.mix, this.mass, this.layout, this.kernels);
    this.begun = true;
    // The mixed model is x from here on (applyGradient swaps buffers, so the same array stays it).
    if (this.rx.clip !== null) this.rx.clip.own = this.xNew;
    this.sender.vChanged();
    return NONE;
  }

  params(): Float32Array {
    return this.begun ? this.xNew : this.x;
  }

  /** Step 4, the tracking correction; the push (step 5) waits for the send (rfast-sends.ts). */
  applyGradient(grad: Float32Array): Envelope[] {
    if (grad.length !== this.dim) {
      throw new ConfigError(`gradient has ${grad.length} entries, the model has ${this.dim}`);
    }
    // With SIMD the kernels need the gradient in their memory anyway: copy it, then check it there.
    const g = this.gradIn ?? grad;
    if (g !== grad) g.set(grad);
    const finite = this.kernels === null ? allFinite(g) : this.kernels.finite32(g.byteOffset, g.length) === 1;
    if (!finite) throw new ConfigError(`peer ${this.id}: gradient holds NaN or Infinity (diverging? lower lr)`);
    if (this.initialised) {
      if (!this.begun) throw new ConfigError(`peer ${this.id}: applyGradient without beginStep; call beginStep, params, applyGradient`);
      const x = this.x; // x = x_new by swapping buffers: no copy
      this.x = this.xNew;
      this.xNew = x;
    } else {
      this.sender.vChanged(); // v = x0 goes out with the first running sums
    }
    // Before the first gradient z = g = 0, so the same update gives z = g = grad.
    track(this.z, this.g, g, this.kernels);
    this.initialised = true;
    this.begun = false;
    this.seq += 1;
    this.counters.steps += 1;
    // A peer that receives no tracker mass (its G_C in-neighbours never connected) has a z made
    // only of its own gradient differences, which only the pushes keep small: it must push every
    // step, not when a slow link gets round to it (RFAST_DEFAULTS.quietStepsBeforeStepPush).
    this.sender.massChanged(this.quietSteps >= RFAST_DEFAULTS.quietStepsBeforeStepPush);
    this.sender.stepTaken();
    return this.paceFrames();
  }

  /**
   * Our step count to every in-neighbour whose link is open, every paceEverySteps steps
   * (rfast-pace.ts); none with pacing off.
   */
  private paceFrames(): Envelope[] {
    if (this.paceMargin === 0 || this.paceTo.length === 0 || this.seq - this.pacedAt < RFAST_DEFAULTS.paceEverySteps) return NONE;
    this.pacedAt = this.seq;
    const out: Envelope[] = [];
    for (const to of this.paceTo) {
      if (this.open !== null && !this.open.has(to)) continue;
      out.push({ to, reliable: true, msg: { kind: MsgKind.RfastPace, from: this.id, epoch: this.epoch, seq: this.seq, block: 0, offset: 0, aux: 0, data: EMPTY } });
    }
    return out;
  }

  receive(msg: Message): Envelope[] {
    this.counters.messagesIn += 1;
    const verdict = acceptMessage(msg, this.rx);
    if ((verdict === 'ok' || verdict === 'kept') && msg.kind === MsgKind.RfastV) this.evidence.frame(msg.from);
    if (this.rx.clipped) this.counters.clipped = (this.counters.clipped ?? 0) + 1;
    // Set only for a V frame that was stored (so msg is a message): a null or malformed one sets none.
    if (this.rx.vStored) this.evidence.mixed(msg.from, this.rx.clipped, this.rx.frozen, this.rx.opposed);
    if (this.rx.massClipped) this.counters.clipped = (this.counters.clipped ?? 0) + 1;
    if (this.rx.massStored) this.evidence.massFrame(msg.from, this.rx.massOpposed);
    if (verdict === 'rejected') this.counters.rejected += 1;
    else if (verdict === 'stale') this.counters.stale += 1;
    else if (verdict === 'kept') return [this.ack(msg)];
    else if (verdict === 'magnitude' || verdict === 'jump') {
      // Well-formed but hostile (or badly broken): refused, and held against the sender.
      this.counters.rejected += 1;
      this.evidence.frame(msg.from);
      this.evidence.note(msg.from, verdict === 'jump' ? 'seqJumps' : 'magnitude');
    }
    return NONE;
  }

  /** Per-sender counts of refused (magnitude, seq jump) and clipped frames, for telemetry. */
  senderEvidence(): Map<PeerId, SenderEvidence> {
    return this.evidence.snapshot();
  }

  model(): Float32Array {
    return this.x;
  }

  /**
   * Section 1.6: z = g and all running sums restart at zero, so once every live peer has switched,
   * sum z = sum g holds exactly again. x and g are kept. An announcement for an epoch not newer
   * than the current one (a duplicate) is ignored.
   */
  setEpoch(epoch: number, neighbours: PeerNeighbours): Envelope[] {
    if (!Number.isSafeInteger(epoch)) throw new ConfigError(`epoch must be an integer, got ${epoch}`);
    if (epoch <= this.epoch) return NONE;
    validateNeighbours(this.id, neighbours); // before anything changes
    this.epoch = epoch;
    this.useNeighbours(neighbours);
    const { z, g } = this;
    for (let t = 0; t < this.dim; t++) z[t] = g[t];
    // z = g: increments of the new epoch are on another scale than the converged ones before it
    // (the mass clip would otherwise hold them to 30x an old, tiny median for good).
    this.massRadius?.reset();
    this.quietSteps = RFAST_DEFAULTS.quietStepsBeforeStepPush; // no mass of this epoch has come in yet
    if (this.initialised) {
      this.sender.vChanged(); // new out-neighbours need our v
      this.sender.massChanged(true);
    }
    return NONE;
  }

  /**
   * The lists changed within the epoch: a peer joined and was attached to us (core's
   * attachJoiner), or peers in `departed` left the run and the peers around them were linked to
   * each other (core's detachLeaver). Nothing of what we had is reset: every link we keep carries
   * its running sums, bases and held copies over, and a new link starts at zero on both ends, like
   * any link of a new epoch. A joiner enters with z = g, so the conservation law of section 1.4
   * holds throughout a join. A departure takes the leaver's z and the mass in transit to and from
   * it away; what is missing then is, summed over the leaver's neighbours j, what j consumed from
   * it minus what j pushed to it (see unwind), and each neighbour holds its own term. So each
   * takes back into z what it pushed to the leaver and gives back what it consumed from it: once
   * every neighbour has, sum z + in flight = sum g holds again over the peers left, with nobody
   * else told and no tracker reset. Lists that drop a peer not named in `departed` are refused.
   */
  grow(neighbours: PeerNeighbours, departed: readonly PeerId[] = []): Envelope[] {
    validateNeighbours(this.id, neighbours);
    const gone = new Set(departed);
    for (const name of ['rIn', 'rOut', 'cIn', 'cOut'] as const) {
      const now = new Set(neighbours[name]);
      const dropped = this.lists[name].find((id) => !now.has(id) && !gone.has(id));
      if (dropped !== undefined) {
        throw new TopologyError(`peer ${this.id}: the new lists drop ${name} neighbour ${dropped}, which did not leave; a link that goes away needs a new epoch (setEpoch)`);
      }
    }
    for (const id of gone) {
      const kept = (['rIn', 'rOut', 'cIn', 'cOut'] as const).find((name) => neighbours[name].includes(id));
      if (kept !== undefined) throw new TopologyError(`peer ${this.id}: peer ${id} left the run but is still in the new ${kept} list`);
    }
    for (const id of gone) this.unwind(id);
    this.useNeighbours(neighbours, true);
    if (this.initialised) this.sender.vChanged(); // a new out-neighbour needs our v
    return NONE;
  }

  /**
   * Undoes the mass exchanged with `leaver` over the epoch (see grow): z += rho (everything pushed
   * to it; after a compact frame rho is what it rebuilt) - rhoTilde (everything consumed from
   * it). Mass it sent that we did not consume yet is dropped with the link. Nothing to do for a
   * peer we had no link with.
   */
  private unwind(leaver: PeerId): void {
    const z = this.z;
    const rho = this.sender.rhoByTarget().get(leaver);
    if (rho !== undefined) for (let t = 0; t < this.dim; t++) z[t] += rho[t];
    const j = this.mass.index.of(leaver);
    if (j >= 0) {
      const tilde = this.mass.vector(j, 'tilde');
      for (let t = 0; t < this.dim; t++) z[t] -= tilde[t];
    }
  }

  /**
   * The runtime's view of which neighbours' links are open (null: all). Pushes of tracker mass go
   * only along open links (RfastSender.setReachable); kept across epochs and grows, so a new
   * epoch's sender pushes nowhere its runtime has not opened a link to yet.
   */
  linksOpen(open: ReadonlySet<PeerId> | null): void {
    this.open = open;
    this.sender.setReachable(open);
  }

  /** The send budget from now on (Algorithm.setSendShare); kept across epochs and grows. */
  setSendShare(share: number): void {
    if (!(share > 0 && share <= 1)) throw new ConfigError(`sendShare must be in (0, 1], got ${String(share)}`);
    this.sendShare = share;
    this.sender.setSendShare(share);
  }

  /** Replaces x (and v, and the pulled copies, so a joiner does not mix back toward its x0). */
  loadModel(x: Float32Array): void {
    if (x.length !== this.dim) throw new ConfigError(`model has ${x.length} entries, expected ${this.dim}`);
    if (!allFinite(x)) throw new ConfigError('model to load holds NaN or Infinity');
    this.x.set(x);
    this.v.set(x);
    this.xNew.set(x);
    (this.pull as PullLinks).reset(x);
    if (this.initialised) this.sender.vChanged();
  }

  /** Which kernels run this peer's steps now: 'simd' (WebAssembly) or 'js'. */
  kernelKind(): 'simd' | 'js' {
    return this.simd ? 'simd' : 'js';
  }

  stats(): AlgoStats {
    return { ...this.counters };
  }

  /** Mass pushed and not yet acknowledged, and the latest gradient, both as L1 norms (compact encodings). */
  transitEstimate(): { transit: number; gradient: number } | null {
    const transit = this.sender.unacknowledged();
    if (transit === null) return null;
    let gradient = 0;
    for (let t = 0; t < this.dim; t++) gradient += Math.abs(this.g[t]);
    return { transit, gradient };
  }

  tracker(): { z: Float64Array; g: Float32Array } {
    return { z: this.z, g: this.g };
  }

  inspect(): RFastInspection {
    return {
      x: this.x,
      v: this.v,
      z: this.z,
      g: this.g,
      rho: this.sender.rhoByTarget(),
      rhoNew: this.massVectors('new'),
      rhoTilde: this.massVectors('tilde'),
      pulled: this.heldCopies(),
      seq: this.seq,
      epoch: this.epoch,
      initialised: this.initialised,
    };
  }

  /** In-neighbour j on G_R -> the copy of v_j held, decoded (views: they change as frames arrive). */
  heldCopies(): Map<PeerId, Float32Array> {
    const pull = this.pull as PullLinks;
    return new Map(pull.views.map((view, j) => [pull.index.id(j), view] as const));
  }

  private ack(msg: Message): Envelope {
    return {
      to: msg.from,
      reliable: true,
      // aux names the kind whose base this is (v or running sum).
      msg: { kind: MsgKind.RfastAck, from: this.id, epoch: this.epoch, seq: msg.seq, block: msg.block, offset: blockStart(this.layout, msg.block), aux: msg.kind, data: EMPTY },
    };
  }

  /**
   * (Re)builds every per-neighbour buffer in a fresh KernelMemory and moves x, x_new, v, g and z
   * there; rho, rhoNew and rhoTilde restart at zero, except with `sameEpoch` (grow), where every
   * link kept carries its state over.
   */
  private useNeighbours(nb: PeerNeighbours, sameEpoch = false): void {
    this.evidence.meet(nb.members);
    validateNeighbours(this.id, nb);
    this.lists = { rIn: nb.rIn.slice(), rOut: nb.rOut.slice(), cIn: nb.cIn.slice(), cOut: nb.cOut.slice() };
    this.paceTo = [...new Set([...nb.rIn, ...nb.cIn])];
    this.vRadius?.retain(nb.rIn);
    this.massRadius?.retain(nb.cIn);
    const { dim, layout } = this;
    const f32 = alignedBytes(dim, 4);
    const f64 = alignedBytes(dim, 8);
    const links = nb.rIn.length * f32 + nb.cIn.length * 2 * f64;
    const block = Math.min(layout.blockSize, dim); // the longest block a message can carry
    const scratch = alignedBytes(block, 4) + alignedBytes(block, 8);
    let mem: KernelMemory;
    try {
      mem = KernelMemory.create(5 * f32 + f64 + links + scratch, this.simd);
    } catch (err) {
      // e.g. the browser refused another wasm memory: plain JavaScript computes the same values.
      if (this.kernelChoice !== 'auto') throw err;
      this.simd = false;
      mem = KernelMemory.create(0, false);
    }
    const move32 = (a: Float32Array): Float32Array => {
      const b = mem.f32(dim);
      b.set(a);
      return b;
    };
    this.x = move32(this.x);
    this.xNew = move32(this.xNew);
    this.v = move32(this.v);
    this.g = move32(this.g);
    const z = mem.f64(dim);
    z.set(this.z);
    this.z = z;
    this.gradIn = this.simd ? mem.f32(dim) : null;
    this.kernels = mem.exports;
    const f32s = mem.f32(block);
    const f64s = mem.f64(block);
    this.pull = new PullLinks(nb.rIn, layout, this.pull, this.x, (n) => mem.f32(n), sameEpoch);
    this.mass = new MassLinks(nb.cIn, layout, (n) => mem.f64(n), this.massRadius, sameEpoch ? this.mass : null);
    const before = sameEpoch ? this.sender : null;
    // Within an epoch only the senders judged before stay judged (rfast-mass-opposition.ts).
    const judged = sameEpoch ? (this.rx?.opposition?.judgedSenders() ?? new Set<PeerId>()) : null;
    this.slotVersion++;
    this.sender = new RfastSender({
      self: this.id,
      epoch: this.epoch,
      layout,
      rOut: nb.rOut,
      cOut: nb.cOut,
      z: this.z,
      v: this.v,
      encoding: this.encoding,
      naive: this.naive,
      pushShare: this.pushShare,
      sendShare: this.sendShare,
      paceMargin: this.paceMargin,
      degreeBudget: this.degreeBudget,
      nextSeq: () => ++this.frameSeq,
      version: this.slotVersion,
    });
    if (before !== null) this.sender.carry(before);
    this.sender.setReachable(this.open);
    this.rx = {
      epoch: this.epoch,
      layout,
      pull: this.pull,
      mass: this.mass,
      sender: this.sender,
      naive: this.naive,
      simd: mem.exports === null ? null : { k: mem.exports, f32: f32s, f64: f64s },
      f32: f32s,
      f64: f64s,
      clip: this.vRadius === null ? null : { radius: this.vRadius, own: this.params() },
      clipped: false,
      frozen: false,
      opposed: false,
      massClipped: false,
      vStored: false,
      massStored: false,
      massOpposed: false,
      opposition: this.massRadius === null || this.naive ? null : new MassOpposition(nb.cIn, layout, judged),
      z: this.z,
      g: this.g,
      v: this.v,
      pushPerLink: this.pushShare / Math.max(1, nb.cOut.length),
    };
  }

  private massVectors(which: 'new' | 'tilde'): Map<PeerId, Float64Array> {
    const m = this.mass;
    return new Map(Array.from({ length: m.index.size }, (_, j) => [m.index.id(j), m.vector(j, which)] as const));
  }
}
