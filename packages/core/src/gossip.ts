/**
 * Gossip local SGD, the timely-gossip model of Mitra & Ulukus (arXiv 2404.19749; docs/algorithms.md
 * section 3). No synchronisation anywhere: ready() is always true.
 *
 * H = localSteps local SGD steps form one version. After each version the peer pushes its model to
 * f random other members (f = fanout, default ceil(c ln n) with c = fanoutC): GossipModel blocks with
 * aux = its version, then one GossipVersions message carrying its version vector, all unreliable. A
 * receiver averages each block it gets, x_i <- (x_i + x_j) / 2; a lost block is simply not averaged.
 *
 * Version bookkeeping (index = peer id): `mixed[j]` (the version vector VV_i, sent to others) is
 * the newest version of j reflected in x_i: j's version v once all of its blocks of v were mixed, and
 * max-merged with j's own vector when that arrives after a complete mix. `heard[j]` is the newest
 * version of j this peer has any news of (block headers, any received vector). The age of j at i is
 * heard[j] - mixed[j] >= 0, a lower bound of the true staleness (the simulator, which knows every
 * peer's version, computes the true one from versions()). Duplicated blocks count towards "all
 * blocks": a duplicate can make a version count as mixed with one block missing.
 */
import { defineAlgorithm, type AlgorithmOptions, MsgKind, type AlgoStats, type Algorithm, type Envelope, type Message, type PeerId, type PeerNeighbours } from './contract';
import { allFinite, blockLayout, blockViews, blockStart, type BlockLayout } from './blocks';
import { ConfigError } from './errors';
import { Rng } from './rng';
import { seqOrder } from './robust-config';
import { Evidence, type SenderEvidence } from './robust-evidence';
import { ROBUST_OPTION, RobustPull, robustPull } from './robust-clip';
import { BASELINE_DEFAULTS } from './baseline-config';
import {
  checkCommonOptions,
  checkLength,
  emptyStats,
  envelope,
  isFloat32Block,
  sortedMembers,
} from './baseline-support';

export interface VersionAges {
  mean: number;
  p95: number;
  max: number;
}

/** The default fanout of the spec's recipe, ceil(c ln n), clipped to the n - 1 other members. */
export function gossipFanout(n: number, c: number = BASELINE_DEFAULTS.gossipFanoutC): number {
  return n <= 1 ? 0 : Math.min(n - 1, Math.ceil(c * Math.log(n)));
}

export class GossipSgd implements Algorithm {
  readonly name = 'gossip' as const;
  readonly id: PeerId;
  readonly dim: number;
  /** Local steps per version (H). */
  readonly localSteps: number;

  private readonly lr: number;
  private readonly layout: BlockLayout;
  private readonly rng: Rng;
  private readonly fixedFanout: number | undefined;
  private readonly fanoutC: number;
  private readonly x: Float32Array;
  private readonly xViews: Float32Array[];
  private readonly at: Float32Array;
  private atFresh = false;
  private readonly st: AlgoStats = emptyStats();
  private readonly evidence: Evidence;
  /** Robust mixing of received blocks (opts.robust); null: off. */
  private readonly robust: RobustPull | null;

  private epoch: number;
  private members: PeerId[] = [];
  /** Other members; a partial Fisher-Yates shuffle in place picks the targets. */
  private others = new Int32Array(0);
  private f = 0;
  private version = 0;
  private local = 0;
  private mixed = new Float64Array(0);
  private heard = new Float64Array(0);
  /** Per sender: the version whose blocks are being counted, and how many arrived. */
  private rxVersion = new Float64Array(0);
  private rxCount = new Int32Array(0);
  private isMember = new Uint8Array(0);
  private ageScratch = new Float64Array(0);

  constructor(opts: AlgorithmOptions) {
    checkCommonOptions(opts);
    const h = opts.localSteps ?? BASELINE_DEFAULTS.gossipLocalSteps;
    if (!Number.isInteger(h) || h < 1) throw new ConfigError(`localSteps must be a positive integer, got ${h}`);
    if (opts.fanout !== undefined && (!Number.isInteger(opts.fanout) || opts.fanout < 1)) {
      throw new ConfigError(`fanout must be a positive integer (or omitted for ceil(c ln n)), got ${opts.fanout}`);
    }
    const c = opts.fanoutC ?? BASELINE_DEFAULTS.gossipFanoutC;
    if (!(c > 0) || !Number.isFinite(c)) throw new ConfigError(`fanoutC must be a positive number, got ${c}`);
    this.evidence = new Evidence(blockLayout(opts.x0.length, opts.blockSize).count);
    this.localSteps = h;
    this.fixedFanout = opts.fanout;
    this.fanoutC = c;
    this.id = opts.id;
    this.dim = opts.x0.length;
    this.lr = opts.lr;
    this.layout = blockLayout(this.dim, opts.blockSize);
    this.rng = new Rng((opts.seed ?? 0) + opts.id);
    this.x = Float32Array.from(opts.x0);
    this.xViews = blockViews(this.x, this.layout);
    this.at = new Float32Array(this.dim);
    this.robust = robustPull(opts.robust, this.layout.count, this.layout.blockSize);
    this.epoch = opts.epoch;
    this.enterEpoch(opts.neighbours);
  }

  /** Peers pushed to after each version in the current epoch. */
  get fanout(): number {
    return this.f;
  }

  ready(): boolean {
    return true;
  }

  beginStep(): Envelope[] {
    this.at.set(this.x);
    this.atFresh = true;
    return [];
  }

  params(): Float32Array {
    if (!this.atFresh) this.beginStep();
    return this.at;
  }

  model(): Float32Array {
    return this.x;
  }

  /** VV_i: newest version of each peer (index = id) mixed into this model (a view). */
  versions(): Float64Array {
    return this.mixed;
  }

  /** Ages heard - mixed over the other members (0s when alone). */
  versionAges(): VersionAges {
    const ages = this.ageScratch;
    let k = 0;
    let sum = 0;
    for (let i = 0; i < this.others.length; i++) {
      const j = this.others[i];
      const age = this.heard[j] - this.mixed[j];
      ages[k++] = age;
      sum += age;
    }
    if (k === 0) return { mean: 0, p95: 0, max: 0 };
    const sorted = ages.subarray(0, k).sort();
    return { mean: sum / k, p95: sorted[Math.ceil(0.95 * k) - 1], max: sorted[k - 1] };
  }

  applyGradient(grad: Float32Array): Envelope[] {
    checkLength('gradient', grad, this.dim);
    this.st.steps++;
    this.atFresh = false;
    const x = this.x;
    const lr = this.lr;
    for (let i = 0; i < x.length; i++) x[i] -= lr * grad[i];
    if (++this.local < this.localSteps) return [];
    this.local = 0;
    this.version++;
    this.mixed[this.id] = this.heard[this.id] = this.version;
    return this.push();
  }

  receive(msg: Message): Envelope[] {
    this.st.messagesIn++;
    // Unreliable traffic: a message of another epoch is just a lost one (stale, not malformed:
    // frames cross every membership change).
    if (!Number.isInteger(msg.epoch) || msg.epoch < 0 || msg.epoch > this.epoch + BASELINE_DEFAULTS.maxEpochLead) return this.reject();
    if (msg.epoch !== this.epoch) {
      this.st.stale++;
      return [];
    }
    if (msg.kind === MsgKind.GossipModel) return this.onModel(msg);
    if (msg.kind === MsgKind.GossipVersions) return this.onVersions(msg);
    return this.reject();
  }

  setEpoch(epoch: number, neighbours: PeerNeighbours): Envelope[] {
    if (!(epoch > this.epoch)) return []; // a repeated or out-of-date announcement
    this.epoch = epoch;
    this.enterEpoch(neighbours);
    this.robust?.retain(neighbours.members); // any member may push to us
    return [];
  }

  loadModel(x: Float32Array): void {
    checkLength('loadModel(x)', x, this.dim);
    this.x.set(x);
    this.atFresh = false;
  }

  stats(): AlgoStats {
    return { ...this.st };
  }

  senderEvidence(): Map<PeerId, SenderEvidence> {
    return this.evidence.snapshot();
  }

  private enterEpoch(nb: PeerNeighbours): void {
    this.evidence.meet(nb.members);
    this.members = sortedMembers(nb, this.id);
    const len = this.members[this.members.length - 1] + 1;
    // Versions are per peer id and survive epochs; only the length follows the largest id.
    this.mixed = resized(this.mixed, len);
    this.heard = resized(this.heard, len);
    this.rxVersion = resized(this.rxVersion, len);
    const count = new Int32Array(len);
    count.set(this.rxCount.subarray(0, Math.min(len, this.rxCount.length)));
    this.rxCount = count;
    this.isMember = new Uint8Array(len);
    for (const j of this.members) this.isMember[j] = 1;
    this.others = Int32Array.from(this.members.filter((j) => j !== this.id));
    this.ageScratch = new Float64Array(this.others.length);
    this.f = Math.min(this.others.length, this.fixedFanout ?? gossipFanout(this.members.length, this.fanoutC));
    this.mixed[this.id] = this.heard[this.id] = this.version;
  }

  /** f distinct random other members, then the model blocks and the version vector to each. */
  private push(): Envelope[] {
    const out: Envelope[] = [];
    const others = this.others;
    for (let t = 0; t < this.f; t++) {
      const pick = t + this.rng.int(others.length - t);
      const to = others[pick];
      others[pick] = others[t];
      others[t] = to;
      for (let b = 0; b < this.layout.count; b++) {
        out.push(this.send(to, MsgKind.GossipModel, b, blockStart(this.layout, b), this.xViews[b]));
      }
      out.push(this.send(to, MsgKind.GossipVersions, 0, 0, this.mixed));
    }
    return out;
  }

  private onModel(msg: Message): Envelope[] {
    const j = msg.from;
    const v = msg.aux;
    if (!this.isOther(j)) return this.reject();
    this.evidence.frame(j);
    if (!Number.isInteger(v) || v < 1 || !isFloat32Block(msg, this.layout, this.evidence)) return this.reject();
    // Newest-wins on versions with a bounded jump: one block claiming version 2^32 must not make
    // every later honest version of j "older" for good.
    const order = seqOrder(v, this.rxVersion[j]);
    if (order === 'jump') {
      this.evidence.note(j, 'seqJumps');
      return this.reject();
    }
    if (order === 'older' && v < this.rxVersion[j]) {
      this.st.stale++; // an older model of j than one we already mix: do not pull x back towards it
      return [];
    }
    if (order === 'resync') {
      // The version held was a jump: forget it (and what it did to the age bookkeeping).
      if (this.heard[j] > v) this.heard[j] = v;
      if (this.mixed[j] > v) this.mixed[j] = v;
    }
    if (v !== this.rxVersion[j]) {
      this.rxVersion[j] = v;
      this.rxCount[j] = 0;
    }
    const x = this.x;
    let data = msg.data as Float32Array;
    if (this.robust !== null) {
      // Version v of a block is news once: a newer version is a model that changed since.
      data = this.robust.pull(msg.block, j, msg.offset, data, x, v);
      if (this.robust.clipped) this.st.clipped = (this.st.clipped ?? 0) + 1;
      this.evidence.mixed(j, this.robust.clipped, this.robust.frozen, this.robust.opposed);
    }
    for (let i = msg.offset, k = 0; k < data.length; i++, k++) x[i] = 0.5 * (x[i] + data[k]);
    if (v > this.heard[j]) this.heard[j] = v;
    if (++this.rxCount[j] === this.layout.count && v > this.mixed[j]) this.mixed[j] = v;
    return [];
  }

  private onVersions(msg: Message): Envelope[] {
    const j = msg.from;
    const v = msg.aux;
    const d = msg.data;
    if (!this.isOther(j) || !Number.isInteger(v) || v < 1) return this.reject();
    if (!(d instanceof Float64Array) || d.length !== this.mixed.length || msg.block !== 0 || msg.offset !== 0) return this.reject();
    if (!Number.isInteger(msg.seq) || msg.seq < 0 || !allFinite(d)) return this.reject();
    for (let k = 0; k < d.length; k++) if (d[k] < 0) return this.reject();
    // A version far ahead of what we heard (a jump) would fake huge ages: the vector is refused.
    if (seqOrder(v, this.heard[j]) === 'jump') {
      this.evidence.note(j, 'seqJumps');
      return this.reject();
    }
    for (let k = 0; k < d.length; k++) {
      if (seqOrder(d[k], this.heard[k]) === 'jump') {
        this.evidence.note(j, 'seqJumps');
        return this.reject();
      }
    }
    // j's vector describes j's model; it is ours to merge only if we mixed that model completely.
    const merge = this.rxVersion[j] === v && this.rxCount[j] >= this.layout.count;
    const heard = this.heard;
    const mixed = this.mixed;
    for (let k = 0; k < d.length; k++) {
      if (k === this.id || !this.isMember[k]) continue;
      if (d[k] > heard[k]) heard[k] = d[k];
      if (merge && d[k] > mixed[k]) mixed[k] = d[k];
    }
    if (v > heard[j]) heard[j] = v;
    return [];
  }

  private isOther(j: number): boolean {
    return Number.isInteger(j) && j >= 0 && j < this.isMember.length && this.isMember[j] === 1 && j !== this.id;
  }

  private send(to: PeerId, kind: MsgKind, b: number, offset: number, data: Float32Array | Float64Array): Envelope {
    return envelope(to, false, kind, this.id, this.epoch, this.version, b, offset, this.version, data);
  }

  private reject(): Envelope[] {
    this.st.rejected++;
    return [];
  }
}

/** A copy of `a` with length `len` (zero-filled or truncated). */
function resized(a: Float64Array, len: number): Float64Array<ArrayBuffer> {
  const r = new Float64Array(len);
  r.set(a.subarray(0, Math.min(len, a.length)));
  return r;
}

/** Default step 0.3: three real tabs reach 90% with it (e2e/baselines.spec.ts). */
export const GOSSIP_DESCRIPTOR = defineAlgorithm({
  name: 'gossip',
  label: 'Gossip local SGD',
  defaultLr: 0.3,
  links: 'members',
  kinds: [MsgKind.GossipModel, MsgKind.GossipVersions],
  options: {
    localSteps: { type: 'int', min: 1, max: 10_000, doc: 'local SGD steps per version (H)' },
    fanout: { type: 'int', min: 1, max: 1024, doc: 'peers pushed to per version' },
    fanoutC: { type: 'number', min: 0.01, max: 100, doc: 'c in ceil(c ln n) when fanout is absent' },
    robust: ROBUST_OPTION,
  },
  create: (opts) => new GossipSgd(opts),
});
