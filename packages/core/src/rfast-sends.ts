/**
 * R-FAST's sending side (docs/algorithms.md 1.3 steps 5-6 and 1.7), as slots a runtime pulls when a
 * link can carry a frame (SlotSource): per out-neighbour one slot per (kind, block) holding only
 * the newest content, encoded at send time.
 *
 * When tracker mass is pushed: at send time. A step only marks every block "push pending"; the
 * first running-sum frame of block b after that does step 5 for b (z_b -> (1 - s) z_b, rho_kb +=
 * (s/d) z_b for every out-neighbour k, s the push share: RFAST_DEFAULTS.pushShare) and the other
 * out-neighbours' frames of b follow in the same rotation. Until then the mass stays in z, where it drives this peer's own descent, instead of
 * waiting in a queue where it drives nobody's (mass in transit shrinks every z). On a link that
 * keeps up with the steps this is exactly the spec's push every step. Only while mass comes in,
 * though: a peer that receives none pushes at every step (massChanged(true); RFast decides).
 *
 * How much leaves: whatever the link takes, unless the run sets a send budget (sendShare < 1; see
 * RFAST_DEFAULTS.sendShare): then each step adds sendShare of a target's slots to its send credit
 * (at most sendCarrySteps steps' worth), and nextPending offers that target nothing while less
 * than one frame's worth is left. The newest-wins slots mean a frame not sent now goes out
 * fresher later. The same credit paces a target that steps more slowly than we do to its own
 * rate (rfast-pace.ts), which its RfastPace frames tell us.
 *
 * Compact running sums: rho_k is what k will rebuild (base + decoded delta, in float64 on both
 * sides); the rounding residual of each frame goes back into z, so sum z + in flight = sum g holds
 * exactly. The base is a frame of ours the receiver acknowledged keeping (MassLinks).
 */
import { Dtype, MsgKind, type Envelope, type Message, type PeerId, type SlotSource } from './contract';
import { blockEnd, blockStart, type BlockLayout } from './blocks';
import { RFAST_DEFAULTS, type RfastEncoding } from './rfast-config';
import { SentBases } from './rfast-bases';
import { PaceTracker } from './rfast-pace';
import { decodeHalf, decodeI4, decodeI8, encodeHalf, encodeI4, encodeI8, halfScale, i4Bytes, i4Scale, i8Scale, maxAbs } from './quantize';

const KIND_V = 0;
const KIND_MASS = 1;

export interface SenderSetup {
  self: PeerId;
  epoch: number;
  layout: BlockLayout;
  rOut: readonly PeerId[];
  cOut: readonly PeerId[];
  /** The tracker and v: views into the peer's state (the push and the residual write z). */
  z: Float64Array;
  v: Float32Array;
  encoding: RfastEncoding;
  naive: boolean;
  /** The share of z a push moves to the out-neighbours (RFAST_DEFAULTS.pushShare). */
  pushShare: number;
  /** The share of the slots that may leave per step (RFAST_DEFAULTS.sendShare). */
  sendShare: number;
  /** Receiver pacing (rfast-pace.ts): RFAST_DEFAULTS.paceMargin; 0: off. */
  paceMargin: number;
  /** Models' worth of slots per step over all targets (RFAST_DEFAULTS.degreeBudget); 0: off. */
  degreeBudget: number;
  /** Seq of the next frame: one counter per peer, so seqs grow across epochs too. */
  nextSeq: () => number;
  version: number;
}

type Compact = typeof Dtype.F32 | typeof Dtype.F16 | typeof Dtype.BF16 | typeof Dtype.I8 | typeof Dtype.I4;

export class RfastSender implements SlotSource {
  readonly version: number;
  private readonly s: SenderSetup;
  private readonly ids: PeerId[];
  /** Per target: index in rOut / cOut, or -1. */
  private readonly rIdx: Int32Array;
  private readonly cIdx: Int32Array;
  private readonly count: number;
  private readonly vDirty: Uint8Array;
  private readonly pushPending: Uint8Array;
  private readonly massDirty: Uint8Array;
  /** Indices in cOut of the out-neighbours whose links can carry frames (setReachable), and their rho: pushes go to these. */
  private pushTo: number[] = [];
  private pushRho: Float64Array[] = [];
  /** rho_k per out-neighbour k: everything produced for k (pushed; what k will rebuild once sent). */
  readonly rho: Float64Array[];
  /** Naive variant: what was last sent to each k (the next increment is rho_k minus it). */
  private readonly lastSent: Float64Array[];
  /** Delta bases of compact v and running-sum frames; null when that kind travels whole. */
  private readonly vBases: SentBases | null;
  private readonly massBases: SentBases | null;
  private readonly delta: Float64Array;
  private readonly codes8: Int8Array;
  private readonly codes4: Uint8Array;
  private readonly codes16: Uint16Array;
  private readonly codes32: Float32Array;
  private readonly sent32: Float32Array;
  private readonly sent64: Float64Array;
  /** Whether a send budget holds (sendShare < 1). */
  private budget = false;
  /** Per target: frames that may still leave (see sendShare); what a step adds, and the most held. */
  private readonly credit: Float64Array;
  private readonly creditPerStep: Float64Array;
  private readonly creditCap: Float64Array;
  /** What each target's step rate allows it (receiver pacing). */
  private readonly pace: PaceTracker;
  /** Steps taken in this epoch (a base's age, see candidateGapSteps). */
  private steps = 0;

  constructor(s: SenderSetup) {
    this.s = s;
    this.version = s.version;
    const { layout, rOut, cOut, encoding, naive } = s;
    this.count = layout.count;
    this.ids = [...rOut, ...cOut.filter((k) => !rOut.includes(k))];
    this.rIdx = Int32Array.from(this.ids, (id) => rOut.indexOf(id));
    this.cIdx = Int32Array.from(this.ids, (id) => cOut.indexOf(id));
    this.vDirty = new Uint8Array(rOut.length * this.count);
    this.pushPending = new Uint8Array(this.count);
    this.massDirty = new Uint8Array(cOut.length * this.count);
    const dim = layout.dim;
    this.rho = cOut.map(() => new Float64Array(dim));
    this.setReachable(null);
    this.lastSent = naive ? cOut.map(() => new Float64Array(dim)) : [];
    const retry = RFAST_DEFAULTS.candidateRetrySends;
    const gap = RFAST_DEFAULTS.candidateGapSteps;
    this.vBases = encoding.v === Dtype.F32 ? null : new SentBases(rOut.length, layout, retry, gap);
    this.massBases = naive || encoding.rho === Dtype.F64 ? null : new SentBases(cOut.length, layout, retry, gap);
    const block = Math.min(layout.blockSize, dim);
    this.delta = new Float64Array(block);
    this.codes8 = new Int8Array(block);
    this.codes4 = new Uint8Array(i4Bytes(block));
    this.codes16 = new Uint16Array(block);
    this.codes32 = new Float32Array(block);
    this.sent32 = new Float32Array(block);
    this.sent64 = new Float64Array(block);
    const n = this.ids.length;
    this.creditPerStep = new Float64Array(n);
    this.creditCap = new Float64Array(n);
    this.credit = new Float64Array(n);
    this.setSendShare(s.sendShare);
    // A new epoch's first frames go at once.
    for (let t = 0; t < n; t++) this.credit[t] = Math.min(this.creditCap[t], Math.max(1, this.creditPerStep[t]));
    this.pace = new PaceTracker(this.ids, s.paceMargin);
  }

  /**
   * The share of the slots that may leave per step from now on (Algorithm.setSendShare). Credit
   * already held stays, up to the new cap; a budget that starts now starts from what is held.
   */
  setSendShare(sendShare: number): void {
    const s = this.s;
    const n = this.ids.length;
    // A degree budget splits degreeBudget models per step among the targets: a peer with more
    // neighbours sends each a smaller share instead of paying for every link at every step.
    const share = s.degreeBudget > 0 ? sendShare * Math.min(1, s.degreeBudget / Math.max(1, n)) : sendShare;
    this.budget = share < 1;
    for (let t = 0; t < n; t++) {
      // Per target, not per peer: one shared credit would go to whichever link the scheduler's
      // rotation visits first, the same one every step when few frames may go.
      this.creditPerStep[t] = share * this.count * this.kindsOf(t);
      // At least one frame, or a share below one slot per step could never send.
      this.creditCap[t] = Math.max(1, RFAST_DEFAULTS.sendCarrySteps * this.creditPerStep[t]);
      this.credit[t] = Math.min(this.creditCap[t], this.credit[t]);
    }
  }

  /**
   * Links were only added, within the epoch (RFast.grow): every out-link `old` also had keeps what
   * was pushed along it (rho, which its receiver goes on consuming from), its delta bases, what is
   * waiting to be sent and its send credit. A new link starts as in a new epoch.
   */
  carry(old: RfastSender): void {
    const at = (list: readonly PeerId[], before: readonly PeerId[]): Int32Array => Int32Array.from(list, (id) => before.indexOf(id));
    const count = this.count;
    const c = at(this.s.cOut, old.s.cOut);
    c.forEach((o, k) => {
      if (o < 0) return;
      this.rho[k].set(old.rho[o]);
      if (this.s.naive) this.lastSent[k].set(old.lastSent[o]);
      this.massDirty.set(old.massDirty.subarray(o * count, (o + 1) * count), k * count);
    });
    const r = at(this.s.rOut, old.s.rOut);
    r.forEach((o, k) => {
      if (o >= 0) this.vDirty.set(old.vDirty.subarray(o * count, (o + 1) * count), k * count);
    });
    if (this.massBases !== null && old.massBases !== null) this.massBases.carry(old.massBases, c);
    if (this.vBases !== null && old.vBases !== null) this.vBases.carry(old.vBases, r);
    this.pushPending.set(old.pushPending);
    const t = at(this.ids, old.ids);
    t.forEach((o, i) => {
      if (o >= 0) this.credit[i] = Math.min(this.creditCap[i], old.credit[o]);
    });
    this.pace.carry(old.pace);
    this.steps = old.steps;
  }

  /**
   * Which out-neighbours' links are open (null: all, when the runtime does not say). A push splits
   * the share among the reachable ones only: mass pushed to a neighbour whose link never opens
   * would wait in its running sum for good, out of every z, and the peers would settle where the
   * gradients they track do not sum to zero. With none reachable the mass stays in z.
   */
  setReachable(open: ReadonlySet<PeerId> | null): void {
    this.pushTo = [];
    this.s.cOut.forEach((k, i) => (open === null || open.has(k)) && this.pushTo.push(i));
    this.pushRho = this.pushTo.map((i) => this.rho[i]);
  }

  /**
   * A step was taken: every target may get sendShare of its slots more, times its pace share
   * (capped at sendCarrySteps steps' worth).
   */
  stepTaken(): void {
    this.steps++;
    const pace = this.pace;
    pace.stepTaken();
    if (!this.budget && !pace.active) return;
    const c = this.credit;
    for (let t = 0; t < c.length; t++) {
      const perStep = this.creditPerStep[t] * pace.share[t];
      const cap = Math.max(1, RFAST_DEFAULTS.sendCarrySteps * perStep);
      c[t] = Math.min(Math.min(this.creditCap[t], cap), c[t] + perStep);
    }
  }

  /**
   * Target `from` says it has taken `step` steps (an RfastPace frame): false when that tells
   * nothing new (not a target, pacing off, not newer).
   */
  paced(from: PeerId, step: number): boolean {
    return this.pace.heard(from, step);
  }

  /** Does a send budget hold for target t (a static sendShare, or pacing to a slower target)? */
  private gated(t: number): boolean {
    return this.budget || this.pace.share[t] < 1;
  }

  /** A step produced new v: every G_R out-neighbour's v slots hold newer content. */
  vChanged(): void {
    this.vDirty.fill(1);
  }

  /**
   * A step changed z: the next running-sum frame of each block pushes (step 5 at send time), or,
   * with `now`, every block pushes at once (step 5 at step time; see
   * RFAST_DEFAULTS.quietStepsBeforeStepPush for when).
   */
  massChanged(now = false): void {
    if (this.massDirty.length === 0) return;
    if (!now) {
      this.pushPending.fill(1);
      return;
    }
    for (let b = 0; b < this.count; b++) this.push(b);
  }

  targets(): readonly PeerId[] {
    return this.ids;
  }

  slotCount(t: number): number {
    return this.count * this.kindsOf(t);
  }

  nextPending(t: number, from: number): number {
    const kinds = this.kindsOf(t);
    const n = this.count * kinds;
    const r = this.rIdx[t] * this.count;
    const c = this.cIdx[t] * this.count;
    if (this.gated(t) && this.credit[t] < 1) return -1;
    for (let i = 0; i < n; i++) {
      const slot = (from + i) % n;
      const b = (slot / kinds) | 0;
      const kind = this.kindAt(t, slot % kinds);
      if (kind === KIND_V ? this.vDirty[r + b] === 1 : this.pushPending[b] === 1 || this.massDirty[c + b] === 1) return slot;
    }
    return -1;
  }

  take(t: number, slot: number): Envelope {
    const kinds = this.kindsOf(t);
    const b = (slot / kinds) | 0;
    const to = this.ids[t];
    if (this.gated(t)) this.credit[t] -= 1;
    const msg = this.kindAt(t, slot % kinds) === KIND_V ? this.takeV(this.rIdx[t], b) : this.takeMass(this.cIdx[t], b);
    return { to, reliable: false, msg };
  }

  /** Does `id` receive frames of `kind` (RfastV or RfastRho) from us in this epoch? */
  isTarget(id: PeerId, kind: number): boolean {
    return (kind === MsgKind.RfastV ? this.s.rOut : this.s.cOut).includes(id);
  }

  /**
   * The receiver `from` acknowledged keeping frame `seq` of (kind, block): when it is our current
   * candidate there, later deltas build on it. False for an ack that matches nothing (late or
   * duplicate).
   */
  acknowledge(from: PeerId, kind: number, block: number, seq: number): boolean {
    const v = kind === MsgKind.RfastV;
    const bases = v ? this.vBases : this.massBases;
    const k = (v ? this.s.rOut : this.s.cOut).indexOf(from);
    if (bases === null || k < 0) return false;
    const { from: lo, to: hi } = this.range(block);
    return bases.acknowledge(k, block, lo, hi - lo, seq);
  }

  /** Out-neighbour k on G_C -> rho_k (live views, for inspection). */
  rhoByTarget(): Map<PeerId, Float64Array> {
    return new Map(this.s.cOut.map((k, i) => [k, this.rho[i]] as const));
  }

  /**
   * L1 norm of what was pushed to the out-neighbours and not yet acknowledged (compact running
   * sums only): an upper bound on this peer's mass in transit, since an acknowledgement follows
   * arrival.
   */
  unacknowledged(): number | null {
    const bases = this.massBases;
    if (bases === null) return null;
    let sum = 0;
    for (let k = 0; k < this.rho.length; k++) {
      const r = this.rho[k];
      const b = bases.base[k];
      for (let t = 0; t < r.length; t++) sum += Math.abs(r[t] - b[t]);
    }
    return sum;
  }

  private kindsOf(t: number): number {
    return (this.rIdx[t] >= 0 ? 1 : 0) + (this.cIdx[t] >= 0 ? 1 : 0);
  }

  /** Kind of the k-th slot of a block for target t: v first when the target pulls from us. */
  private kindAt(t: number, k: number): number {
    return k === 0 && this.rIdx[t] >= 0 ? KIND_V : KIND_MASS;
  }

  private range(b: number): { from: number; to: number } {
    return { from: blockStart(this.s.layout, b), to: blockEnd(this.s.layout, b) };
  }

  private header(kind: MsgKind, b: number, offset: number): Message {
    return { kind, from: this.s.self, epoch: this.s.epoch, seq: this.s.nextSeq(), block: b, offset, aux: 0, data: this.codes32 };
  }

  private takeV(r: number, b: number): Message {
    this.vDirty[r * this.count + b] = 0;
    const { from, to } = this.range(b);
    const msg = this.header(MsgKind.RfastV, b, from);
    const v = this.s.v;
    if (this.vBases === null) {
      msg.data = v.subarray(from, to);
      return msg;
    }
    // A delta against the acknowledged base; the receiver rebuilds it in float64 and keeps the
    // float32 rounding, so both sides hold the same value if the frame becomes a base.
    const sent = this.sent32.subarray(0, to - from);
    if (!this.encodeDelta(msg, v, this.vBases, r, from, to - from, this.s.encoding.v, sent)) {
      msg.data = v.subarray(from, to); // a non-finite v: sent whole, and receivers refuse it
      return msg;
    }
    if (this.vBases.propose(r, b, from, msg.seq, sent, this.steps)) msg.keep = true;
    return msg;
  }

  private takeMass(k: number, b: number): Message {
    if (this.pushPending[b] === 1) this.push(b);
    this.massDirty[k * this.count + b] = 0;
    const { from, to } = this.range(b);
    const n = to - from;
    const rho = this.rho[k];
    if (this.s.naive) {
      const last = this.lastSent[k];
      const inc = this.delta.subarray(0, n);
      for (let t = 0; t < n; t++) inc[t] = rho[from + t] - last[from + t];
      last.set(rho.subarray(from, to), from);
      const msg = this.header(MsgKind.NaiveDelta, b, from);
      msg.data = inc;
      return msg;
    }
    const msg = this.header(MsgKind.RfastRho, b, from);
    const bases = this.massBases;
    const sent = this.sent64.subarray(0, n);
    if (bases === null || !this.encodeDelta(msg, rho, bases, k, from, n, this.s.encoding.rho as Compact, sent)) {
      msg.data = rho.subarray(from, to); // whole float64 sums (or a delta that cannot be scaled)
      return msg;
    }
    // The receiver will hold `sent`, not rho: the rounding residual stays in z, so mass is conserved.
    const z = this.s.z;
    for (let t = 0; t < n; t++) {
      const at = from + t;
      z[at] += rho[at] - sent[t];
      rho[at] = sent[t];
    }
    if (bases.propose(k, b, from, msg.seq, sent, this.steps)) msg.keep = true;
    return msg;
  }

  /**
   * Fills msg with the codes of (src - base) over [from, from + n) and writes into `sent` what the
   * receiver will rebuild (base + decoded delta; rounded to float32 when `sent` is). False when the
   * block cannot be scaled (non-finite values).
   */
  private encodeDelta(
    msg: Message,
    src: ArrayLike<number>,
    bases: SentBases,
    k: number,
    from: number,
    n: number,
    dtype: Compact,
    sent: Float32Array | Float64Array,
  ): boolean {
    const base = bases.base[k];
    const d = this.delta.subarray(0, n);
    for (let t = 0; t < n; t++) d[t] = src[from + t] - base[from + t];
    if (dtype === Dtype.I8) {
      const scale = i8Scale(maxAbs(d, 0, n));
      if (!(scale > 0)) return false;
      const codes = this.codes8.subarray(0, n);
      encodeI8(d, 0, n, scale, codes);
      decodeI8(codes, scale, d, 0);
      msg.data = codes;
      msg.scale = scale;
    } else if (dtype === Dtype.I4) {
      const scale = i4Scale(maxAbs(d, 0, n));
      if (!(scale > 0)) return false;
      const codes = this.codes4.subarray(0, i4Bytes(n));
      encodeI4(d, 0, n, scale, codes);
      decodeI4(codes, n, scale, d, 0);
      msg.data = codes;
      msg.dtype = Dtype.I4;
      msg.scale = scale;
    } else if (dtype === Dtype.F32) {
      const codes = this.codes32.subarray(0, n);
      for (let t = 0; t < n; t++) {
        codes[t] = d[t];
        d[t] = codes[t]; // what the receiver reads: the float32 rounding
      }
      msg.data = codes;
    } else {
      const scale = halfScale(maxAbs(d, 0, n));
      if (!(scale > 0)) return false;
      const codes = this.codes16.subarray(0, n);
      encodeHalf(d, 0, n, dtype, scale, codes);
      decodeHalf(codes, dtype, scale, d, 0);
      msg.data = codes;
      msg.dtype = dtype;
      msg.scale = scale;
    }
    msg.base = bases.baseSeqOf(k, msg.block);
    for (let t = 0; t < n; t++) sent[t] = base[from + t] + d[t];
    return true;
  }

  /**
   * Step 5 for block b, for every reachable out-neighbour at once: each of the d gets share/d of z
   * and this peer keeps 1 - share (column-stochastic for any share, so the invariant holds; the
   * spec's uniform C_ki = C_ii = 1/(d+1) is share d/(d+1)).
   */
  private push(b: number): void {
    this.pushPending[b] = 0;
    const share = this.s.pushShare;
    const { from, to } = this.range(b);
    const z = this.s.z;
    const rho = this.pushRho;
    if (rho.length === 0) return; // nowhere to push: the mass stays in z
    const keep = 1 - share;
    const c = share / rho.length;
    for (let t = from; t < to; t++) {
      const zt = z[t];
      z[t] = keep * zt;
      const zn = c * zt;
      for (let k = 0; k < rho.length; k++) rho[k][t] += zn;
    }
    for (const k of this.pushTo) this.massDirty[k * this.count + b] = 1;
  }
}

