/**
 * Test driver for the baselines (not a test itself): a heterogeneous least-squares problem with
 * exact gradients, and an in-memory network that drives n peers through the contract's loop.
 *
 * Delivery: reliable envelopes go through one FIFO queue per (sender, receiver) link, delivered
 * exactly once; unreliable ones may be dropped, duplicated and reordered. Which link delivers next,
 * which peer starts or finishes a gradient, and when a peer switches epoch are drawn from a seeded
 * Rng, weighted by per-peer speeds, so runs interleave unevenly but reproducibly.
 */
import type { Algorithm, Envelope, Message, MsgKind, PeerId, PeerNeighbours } from './contract';
import type { AlgorithmOptions } from './contract';
import { Rng } from './rng';

/** Step size of every peer that baselineMaker builds. */
export const LR = 0.3;

export interface LeastSquares {
  n: number;
  dim: number;
  /** Common optimum when the problem is IID (every b_i = A_i x*), else null. */
  xStar: Float64Array | null;
  /** Exact gradient of f_i(x) = 0.5 ||A_i x - b_i||^2 at x, written to out. */
  grad(i: number, x: Float32Array, out: Float32Array): void;
}

/**
 * n local problems with different A_i (rows x dim, entries N(0, 1/rows)). IID: b_i = A_i x* for one
 * x*, so all f_i share their minimiser. Non-IID: each peer has its own x*_i.
 */
export function leastSquares(opts: { n: number; dim: number; rows: number; seed: number; iid: boolean }): LeastSquares {
  const { n, dim, rows } = opts;
  const rng = new Rng(opts.seed);
  const scale = 1 / Math.sqrt(rows);
  const target = (): Float64Array => Float64Array.from({ length: dim }, () => rng.normal());
  const xStar = target();
  const A: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = Float64Array.from({ length: rows * dim }, () => rng.normal() * scale);
    const xi = opts.iid ? xStar : target();
    const bi = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) bi[r] += a[r * dim + c] * xi[c];
    A.push(a);
    b.push(bi);
  }
  const resid = new Float64Array(rows);
  return {
    n,
    dim,
    xStar: opts.iid ? xStar : null,
    grad(i, x, out) {
      const a = A[i];
      for (let r = 0; r < rows; r++) {
        let s = -b[i][r];
        for (let c = 0; c < dim; c++) s += a[r * dim + c] * x[c];
        resid[r] = s;
      }
      for (let c = 0; c < dim; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += a[r * dim + c] * resid[r];
        out[c] = s;
      }
    },
  };
}

/** ||x - x*|| / ||x*||. */
export function relError(x: Float32Array, xStar: Float64Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    d += (x[i] - xStar[i]) ** 2;
    s += xStar[i] ** 2;
  }
  return Math.sqrt(d / s);
}

/** Neighbour lists of one epoch for the given members; `undirected` is a ring (or complete). */
export function neighbourhood(members: PeerId[], graph: 'ring' | 'complete' = 'ring'): Map<PeerId, PeerNeighbours> {
  const ids = [...members].sort((a, b) => a - b);
  const n = ids.length;
  const out = new Map<PeerId, PeerNeighbours>();
  ids.forEach((id, p) => {
    const und =
      graph === 'complete'
        ? ids.filter((j) => j !== id)
        : [...new Set([ids[(p + n - 1) % n], ids[(p + 1) % n]])].filter((j) => j !== id);
    out.set(id, { rIn: und, rOut: und, cIn: und, cOut: und, undirected: und, members: ids });
  });
  return out;
}

export interface NetworkOptions {
  seed: number;
  /** Relative rate at which each peer (by position) starts and finishes steps; default all 1. */
  speeds?: number[];
  /** Unreliable envelopes only. */
  loss?: number;
  duplicate?: number;
}

type Phase = 'idle' | 'computing';

interface PeerSlot {
  algo: Algorithm;
  index: number;
  speed: number;
  phase: Phase;
  at: Float32Array | null;
  steps: number;
  /** Epoch switch still to be applied to this peer. */
  pendingEpoch: { epoch: number; nb: PeerNeighbours } | null;
}

export class Network {
  private readonly rng: Rng;
  private readonly slots = new Map<PeerId, PeerSlot>();
  private readonly reliable = new Map<string, Message[]>();
  private readonly unreliable = new Map<string, Message[]>();
  private readonly gradBuf: Float32Array;
  /** Sum of every gradient fed to applyGradient (float64), for conservation checks. */
  readonly gradSum: Float64Array;
  private capture: Envelope[] | null = null;
  delivered = 0;
  dropped = 0;
  /** Deliveries of a round the receiver has not fed its gradient into yet (seq >= its steps). */
  earlyDeliveries = 0;
  /** ...of which the receiver had finished step seq - 1 and was waiting: the sender is a round ahead. */
  aheadDeliveries = 0;

  constructor(
    peers: Algorithm[],
    private readonly problem: LeastSquares,
    private readonly opts: NetworkOptions,
  ) {
    this.rng = new Rng(opts.seed);
    peers.forEach((algo, index) =>
      this.slots.set(algo.id, { algo, index, speed: opts.speeds?.[index] ?? 1, phase: 'idle', at: null, steps: 0, pendingEpoch: null }),
    );
    this.gradBuf = new Float32Array(problem.dim);
    this.gradSum = new Float64Array(problem.dim);
  }

  get peers(): Algorithm[] {
    return [...this.slots.values()].map((s) => s.algo);
  }

  stepsOf(id: PeerId): number {
    return this.slots.get(id)!.steps;
  }

  queued(): number {
    let q = 0;
    for (const m of this.reliable.values()) q += m.length;
    for (const m of this.unreliable.values()) q += m.length;
    return q;
  }

  /**
   * Random interleaving until every peer took `steps` gradient steps and (unless `stopEarly`) the
   * network is quiet. Throws on a deadlock: nothing can happen but some peer is short of steps.
   */
  run(steps: number, stopEarly = false): void {
    for (let guard = 0; guard < 50_000_000; guard++) {
      if (stopEarly && this.allReached(steps)) return;
      const actions = this.actions(steps);
      if (actions.length === 0) break;
      let total = 0;
      for (const a of actions) total += a.weight;
      let u = this.rng.next() * total;
      let chosen = actions[actions.length - 1];
      for (const a of actions) {
        u -= a.weight;
        if (u < 0) {
          chosen = a;
          break;
        }
      }
      chosen.run();
    }
    if (!this.allReached(steps)) {
      const short = [...this.slots.values()].filter((s) => s.steps < steps).map((s) => `${s.algo.id}@${s.steps}`);
      throw new Error(`deadlock: no action possible, peers short of ${steps} steps: ${short.join(', ')}`);
    }
  }

  /** Lockstep: every ready peer takes a whole step, then everything queued is delivered; repeat. */
  runLockstep(steps: number): void {
    for (let guard = 0; guard < 10_000_000; guard++) {
      let progressed = false;
      for (const s of this.slots.values()) {
        if (s.steps < steps && s.algo.ready()) {
          this.startStep(s);
          this.finishStep(s);
          progressed = true;
        }
      }
      while (this.queued() > 0) {
        this.deliverAny();
        progressed = true;
      }
      if (!progressed) break;
    }
    if (!this.allReached(steps)) throw new Error(`deadlock in lockstep before ${steps} steps`);
  }

  /**
   * Membership change: `leave` peers vanish with everything queued to or from them; every other
   * peer gets setEpoch(epoch, ...) as a separate random event during the next run().
   */
  changeEpoch(epoch: number, leave: PeerId[], neighbours: Map<PeerId, PeerNeighbours>): void {
    for (const id of leave) {
      this.slots.delete(id);
      for (const map of [this.reliable, this.unreliable]) {
        for (const key of [...map.keys()]) {
          const [from, to] = key.split('>').map(Number);
          if (from === id || to === id) map.delete(key);
        }
      }
    }
    for (const [id, s] of this.slots) s.pendingEpoch = { epoch, nb: neighbours.get(id)! };
  }

  /** Hands one message straight to a peer, bypassing the queues; returns its (copied) replies. */
  inject(to: PeerId, msg: Message): Envelope[] {
    return this.captured(() => this.send(to, this.slots.get(to)!.algo.receive(msg)));
  }

  /** One whole step of peer `id`; what it sends is returned (copied) instead of queued. */
  takeStep(id: PeerId): Envelope[] {
    const s = this.slots.get(id)!;
    if (s.phase !== 'idle' || !s.algo.ready()) throw new Error(`peer ${id} cannot start a step now`);
    return this.captured(() => {
      this.startStep(s);
      this.finishStep(s);
    });
  }

  /** Queues envelopes as if `from` had just sent them. */
  post(from: PeerId, envs: Envelope[]): void {
    this.send(from, envs);
  }

  private captured(f: () => void): Envelope[] {
    const out: Envelope[] = [];
    this.capture = out;
    try {
      f();
    } finally {
      this.capture = null;
    }
    return out;
  }

  private allReached(steps: number): boolean {
    for (const s of this.slots.values()) if (s.steps < steps || s.phase !== 'idle' || s.pendingEpoch) return false;
    return true;
  }

  private actions(steps: number): { weight: number; run: () => void }[] {
    const acts: { weight: number; run: () => void }[] = [];
    for (const s of this.slots.values()) {
      if (s.pendingEpoch) acts.push({ weight: 0.5, run: () => this.switchEpoch(s) });
      if (s.phase === 'computing') acts.push({ weight: s.speed, run: () => this.finishStep(s) });
      else if (s.steps < steps && s.algo.ready()) acts.push({ weight: s.speed, run: () => this.startStep(s) });
    }
    for (const [key, q] of this.reliable) if (q.length > 0) acts.push({ weight: 1, run: () => this.deliverFrom(key, false) });
    for (const [key, q] of this.unreliable) if (q.length > 0) acts.push({ weight: 1, run: () => this.deliverFrom(key, true) });
    return acts;
  }

  private switchEpoch(s: PeerSlot): void {
    const p = s.pendingEpoch!;
    s.pendingEpoch = null;
    this.send(s.algo.id, s.algo.setEpoch(p.epoch, p.nb));
  }

  private startStep(s: PeerSlot): void {
    this.send(s.algo.id, s.algo.beginStep());
    s.at = s.algo.params();
    s.phase = 'computing';
  }

  /** The gradient is computed at the view params() returned when the step started. */
  private finishStep(s: PeerSlot): void {
    this.problem.grad(s.index, s.at!, this.gradBuf);
    for (let i = 0; i < this.gradBuf.length; i++) this.gradSum[i] += this.gradBuf[i];
    s.phase = 'idle';
    s.at = null;
    s.steps++;
    this.send(s.algo.id, s.algo.applyGradient(this.gradBuf));
  }

  private send(from: PeerId, envs: Envelope[]): void {
    for (const e of envs) {
      if (e.msg.from !== from) throw new Error(`peer ${from} sent a message claiming to be from ${e.msg.from}`);
      // Messages are views valid until the next call into the algorithm: copy at once, like a transport.
      const copy: Message = { ...e.msg, data: e.msg.data.slice() };
      if (this.capture) {
        this.capture.push({ ...e, msg: copy });
        continue;
      }
      const key = `${from}>${e.to}`;
      if (!e.reliable) {
        if (this.rng.next() < (this.opts.loss ?? 0)) {
          this.dropped++;
          continue;
        }
        const q = this.unreliable.get(key) ?? [];
        q.push(copy);
        if (this.rng.next() < (this.opts.duplicate ?? 0)) q.push({ ...copy, data: copy.data.slice() });
        this.unreliable.set(key, q);
      } else {
        const q = this.reliable.get(key) ?? [];
        q.push(copy);
        this.reliable.set(key, q);
      }
    }
  }

  private deliverAny(): void {
    const ready: [string, boolean][] = [];
    for (const [key, q] of this.reliable) if (q.length > 0) ready.push([key, false]);
    for (const [key, q] of this.unreliable) if (q.length > 0) ready.push([key, true]);
    const [key, unordered] = ready[this.rng.int(ready.length)];
    this.deliverFrom(key, unordered);
  }

  private deliverFrom(key: string, unordered: boolean): void {
    const q = (unordered ? this.unreliable : this.reliable).get(key)!;
    const i = unordered ? this.rng.int(q.length) : 0;
    const [msg] = q.splice(i, 1);
    const to = Number(key.split('>')[1]);
    const s = this.slots.get(to);
    if (!s) return;
    this.delivered++;
    if (msg.seq >= s.steps) {
      this.earlyDeliveries++;
      if (s.phase === 'idle' && !s.algo.ready()) this.aheadDeliveries++;
    }
    this.send(to, s.algo.receive(msg));
  }
}

/** Builds one peer of a test network from its id, its epoch-0 neighbours and the shared x0. */
export type PeerMaker<T extends Algorithm> = (id: PeerId, nb: PeerNeighbours, x0: Float32Array) => T;

/** A PeerMaker for a baseline class: epoch 0, step size LR, this block size, plus `extra` (seed, tau...). */
export function baselineMaker<T extends Algorithm>(
  Algo: new (opts: AlgorithmOptions) => T,
  blockSize: number,
  extra: Partial<AlgorithmOptions> = {},
): PeerMaker<T> {
  return (id, neighbours, x0) => new Algo({ ...extra, id, x0, lr: LR, blockSize, epoch: 0, neighbours });
}

/** Builds one algorithm per member with the same x0 and options. */
export function makePeers<T extends Algorithm>(
  members: PeerId[],
  make: PeerMaker<T>,
  dim: number,
  graph: 'ring' | 'complete' = 'ring',
): T[] {
  const nbs = neighbourhood(members, graph);
  const x0 = new Float32Array(dim);
  return members.map((id) => make(id, nbs.get(id)!, x0));
}

/** The reference run of a synchronous baseline: fresh peers driven in lockstep for `steps` steps. */
export function lockstepPeers<T extends Algorithm>(members: PeerId[], make: PeerMaker<T>, problem: LeastSquares, steps: number): T[] {
  const peers = makePeers(members, make, problem.dim);
  new Network(peers, problem, { seed: 1 }).runLockstep(steps);
  return peers;
}

/**
 * A lone member (built by `make`, step size LR) stepped `steps` times next to plain float32 SGD
 * x -= LR * grad(x) from the same zero start: a baseline with one member must be exactly that, so
 * `model` must equal `sgd`; `quiet` says the peer was ready at every step and sent nothing.
 */
export function aloneVersusSgd(make: PeerMaker<Algorithm>, steps: number): { model: Float32Array; sgd: Float32Array; quiet: boolean } {
  const problem = leastSquares({ n: 1, dim: 6, rows: 18, seed: 4, iid: false });
  const [p] = makePeers([0], make, problem.dim);
  const sgd = new Float32Array(problem.dim);
  const g = new Float32Array(problem.dim);
  let quiet = true;
  for (let t = 0; t < steps; t++) {
    if (!p.ready()) quiet = false;
    problem.grad(0, p.params(), g);
    if (p.applyGradient(g).length > 0) quiet = false;
    problem.grad(0, sgd, g);
    for (let c = 0; c < g.length; c++) sgd[c] -= LR * g[c];
  }
  return { model: p.model(), sgd, quiet };
}

/**
 * Mixing moves mass between peers and never creates it: with every peer started at x0 = 0 (as
 * makePeers does) and stepping with LR, the sum of `vectors` (one per peer: models, or push-sum
 * numerators) must be -LR * (every gradient fed so far, `gradSum`, by default the network's; push-sum
 * passes its weight-scaled sum). Returns the gap relative to that sum.
 */
export function massDrift(vectors: Float32Array[], net: Network, gradSum: ArrayLike<number> = net.gradSum): number {
  let worst = 0;
  let scale = 0;
  for (let c = 0; c < gradSum.length; c++) {
    let sum = 0;
    for (const v of vectors) sum += v[c];
    worst = Math.max(worst, Math.abs(sum + LR * gradSum[c]));
    scale = Math.max(scale, Math.abs(sum));
  }
  return worst / scale;
}

/** Largest relative error over all peers' models. */
export function worstError(peers: Algorithm[], xStar: Float64Array): number {
  return Math.max(...peers.map((p) => relError(p.model(), xStar)));
}

/** Largest coordinate-wise difference between two vectors. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Variants of a valid block message that every baseline must reject: each changes one field.
 * (A newer epoch is not among them: such a message is held for setEpoch, not rejected.)
 */
export function malformed(valid: Message): [string, Message][] {
  const d = valid.data;
  const withValue = (i: number, v: number): Float32Array => {
    const c = Float32Array.from(d);
    c[i] = v;
    return c;
  };
  return [
    ['unknown kind', { ...valid, kind: 99 as MsgKind }],
    ['unknown sender', { ...valid, from: 9999 }],
    ['negative sender', { ...valid, from: -1 }],
    ['fractional sender', { ...valid, from: valid.from + 0.5 }],
    ['older epoch', { ...valid, epoch: valid.epoch - 1 }],
    ['epoch far ahead', { ...valid, epoch: valid.epoch + 1000 }],
    ['NaN value', { ...valid, data: withValue(0, NaN) }],
    ['Infinity value', { ...valid, data: withValue(d.length - 1, -Infinity) }],
    ['finite but huge value (1e30: would overflow the next gradient)', { ...valid, data: withValue(0, 1e30) }],
    ['too long', { ...valid, data: new Float32Array(d.length + 1) }],
    ['too short', { ...valid, data: Float32Array.from(d).subarray(1) }],
    ['wrong offset', { ...valid, offset: valid.offset + 1 }],
    ['block out of range', { ...valid, block: 10_000 }],
    ['negative block', { ...valid, block: -1 }],
    ['float64 payload', { ...valid, data: Float64Array.from(d) }],
    ['fractional seq', { ...valid, seq: valid.seq + 0.5 }],
    ['negative seq', { ...valid, seq: -1 }],
    ['NaN aux', { ...valid, aux: NaN }],
  ];
}

/**
 * The malformed-input check of a synchronous baseline, mid-round: `members` run `warmup` steps, peer 0
 * takes one more whose envelopes are held back, and `variants(held)` (built from one of them) are fed
 * to peer 1 (see feedInvalid). Then the held envelopes go out and everyone runs to 10 steps; the
 * models must match `reference`, a lockstep run nobody disturbed, and `rejected` (peer 1's count)
 * must equal `variants`.
 */
export function malformedMidRound<T extends Algorithm>(
  members: PeerId[],
  make: PeerMaker<T>,
  problem: LeastSquares,
  warmup: number,
  variants: (held: Envelope[]) => [string, Message][],
): { notRejected: string[]; modelChanged: boolean; variants: number; rejected: number; peers: T[]; reference: T[] } {
  const peers = makePeers(members, make, problem.dim);
  const net = new Network(peers, problem, { seed: 4 });
  net.run(warmup);
  const held = net.takeStep(0);
  const fed = variants(held);
  const { notRejected, modelChanged } = feedInvalid(peers[1], fed);
  net.post(0, held);
  net.run(10);
  const reference = lockstepPeers(members, make, problem, 10);
  return { notRejected, modelChanged, variants: fed.length, rejected: peers[1].stats().rejected, peers, reference };
}

/**
 * Feeds each variant to `target`: lists those not counted as rejected (or that threw, or produced
 * output), and whether the model moved.
 */
export function feedInvalid(target: Algorithm, variants: [string, Message][]): { notRejected: string[]; modelChanged: boolean } {
  const before = Float32Array.from(target.model());
  const notRejected: string[] = [];
  for (const [label, m] of variants) {
    const r0 = target.stats().rejected;
    try {
      const out = target.receive(m);
      if (target.stats().rejected !== r0 + 1 || out.length > 0) notRejected.push(label);
    } catch (e) {
      notRejected.push(`${label} (threw ${String(e)})`);
    }
  }
  return { notRejected, modelChanged: maxDiff(before, target.model()) !== 0 };
}
