/**
 * Test-only driver for R-FAST: a heterogeneous least-squares problem with exact gradients, and a
 * lossy in-memory network whose random schedule interleaves peer steps with deliveries, drops,
 * duplicates and reorderings of individual block messages. Not a test itself; the rfast*.test.ts
 * files use it. Pure core: no dependency on the simulator package.
 */
import fc from 'fast-check';
import type { Envelope, Message, PeerId, SlotSource } from './contract';
import { RFast } from './rfast';
import { RFAST_ENCODING_NAMES, type RfastEncodingName } from './rfast-config';
import type { KernelChoice } from './rfast-simd';
import { Rng } from './rng';
import { buildTopology, neighboursOf, type Topology, type TopologyKind } from './topology';

/** f_i(x) = 0.5 ||A_i x - b_i||^2 with a different A_i and b_i per peer (row-major A_i). */
export interface LeastSquares {
  readonly dim: number;
  readonly a: Map<PeerId, Float64Array>;
  readonly b: Map<PeerId, Float64Array>;
}

/**
 * Each peer's data follows its own ground truth (a shared centre plus a large per-peer offset), so
 * the local optima disagree and an algorithm without gradient tracking would land elsewhere.
 */
export function makeProblem(rng: Rng, ids: readonly PeerId[], dim: number, rows: number): LeastSquares {
  const centre = Array.from({ length: dim }, () => rng.normal());
  const p: LeastSquares = { dim, a: new Map(), b: new Map() };
  for (const id of ids) addPeerData(p, rng, id, rows, centre);
  return p;
}

/** Adds (or replaces) one peer's data, e.g. for a joiner. */
export function addPeerData(
  p: LeastSquares,
  rng: Rng,
  id: PeerId,
  rows: number,
  centre: readonly number[] = new Array<number>(p.dim).fill(0),
): void {
  const ai = new Float64Array(rows * p.dim);
  const bi = new Float64Array(rows);
  const truth = centre.map((c) => c + 2 * rng.normal());
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let c = 0; c < p.dim; c++) {
      const v = rng.normal() / Math.sqrt(rows);
      ai[r * p.dim + c] = v;
      dot += v * truth[c];
    }
    bi[r] = dot + 0.1 * rng.normal();
  }
  p.a.set(id, ai);
  p.b.set(id, bi);
}

/** Exact gradient A_i^T (A_i x - b_i), in float64, written into `out`. */
export function gradient(p: LeastSquares, id: PeerId, x: ArrayLike<number>, out: Float32Array): void {
  const ai = p.a.get(id)!;
  const bi = p.b.get(id)!;
  const acc = new Float64Array(p.dim);
  for (let r = 0; r < bi.length; r++) {
    let res = -bi[r];
    for (let c = 0; c < p.dim; c++) res += ai[r * p.dim + c] * x[c];
    for (let c = 0; c < p.dim; c++) acc[c] += ai[r * p.dim + c] * res;
  }
  out.set(acc);
}

/** Minimiser of sum_{i in ids} f_i: normal equations solved by Gaussian elimination with pivoting. */
export function optimum(p: LeastSquares, ids: readonly PeerId[]): Float64Array {
  const d = p.dim;
  const m = normalMatrix(p, ids);
  const rhs = new Float64Array(d);
  for (const id of ids) {
    const ai = p.a.get(id)!;
    const bi = p.b.get(id)!;
    for (let r = 0; r < bi.length; r++) for (let c = 0; c < d; c++) rhs[c] += ai[r * d + c] * bi[r];
  }
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    [m[col], m[piv]] = [m[piv], m[col]];
    [rhs[col], rhs[piv]] = [rhs[piv], rhs[col]];
    for (let r = col + 1; r < d; r++) {
      const f = m[r][col] / m[col][col];
      for (let c = col; c < d; c++) m[r][c] -= f * m[col][c];
      rhs[r] -= f * rhs[col];
    }
  }
  const x = new Float64Array(d);
  for (let r = d - 1; r >= 0; r--) {
    let s = rhs[r];
    for (let c = r + 1; c < d; c++) s -= m[r][c] * x[c];
    x[r] = s / m[r][r];
  }
  return x;
}

/** Largest eigenvalue of (1/n) sum A_i^T A_i (power iteration): the smoothness of the average loss. */
export function averageSmoothness(p: LeastSquares, ids: readonly PeerId[]): number {
  const m = normalMatrix(p, ids);
  let v = new Float64Array(p.dim).fill(1);
  let lambda = 0;
  for (let it = 0; it < 200; it++) {
    const w = new Float64Array(p.dim);
    for (let r = 0; r < p.dim; r++) for (let c = 0; c < p.dim; c++) w[r] += m[r][c] * v[c];
    lambda = Math.hypot(...w);
    v = w.map((e) => e / lambda);
  }
  return lambda / ids.length;
}

function normalMatrix(p: LeastSquares, ids: readonly PeerId[]): Float64Array[] {
  const d = p.dim;
  const m = Array.from({ length: d }, () => new Float64Array(d));
  for (const id of ids) {
    const ai = p.a.get(id)!;
    const rows = ai.length / d;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m[i][j] += ai[r * d + i] * ai[r * d + j];
    }
  }
  return m;
}

/** ||x - ref|| / ||ref||. */
export function relError(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (x[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

export interface NetOptions {
  /** Probability that a sent message is dropped. */
  loss: number;
  /** Probability that a sent or delivered message is (also) kept in flight for a second delivery. */
  duplicate: number;
  /**
   * Probability that an event is a send (a random peer's link takes a few slots) rather than a step
   * or a delivery; 0: every peer sends all its slots right after each step (the spec's order).
   */
  sendRate?: number;
  /** Links [from, to] that never carry anything (a WebRTC link that never opens). */
  dead?: readonly (readonly [PeerId, PeerId])[];
}

/**
 * Takes up to `max` pending slots of `src` (all when Infinity), visiting targets in turn as a
 * runtime's scheduler does, starting at a random target and slot when `rng` is given.
 */
export function takeSlots(src: SlotSource, max = Infinity, rng?: Rng): Envelope[] {
  const out: Envelope[] = [];
  const n = src.targets().length;
  if (n === 0) return out;
  const cursor = Array.from({ length: n }, (_, t) => (rng ? rng.int(Math.max(1, src.slotCount(t))) : 0));
  const start = rng ? rng.int(n) : 0;
  for (;;) {
    let round = 0;
    for (let i = 0; i < n && out.length < max; i++) {
      const t = (start + i) % n;
      const s = src.nextPending(t, cursor[t]);
      if (s < 0) continue;
      const env = src.take(t, s);
      out.push({ ...env, msg: { ...env.msg, data: env.msg.data.slice() } }); // payloads are views: copy at once
      cursor[t] = (s + 1) % src.slotCount(t);
      round++;
    }
    if (round === 0 || out.length >= max) return out;
  }
}

/**
 * In-flight messages form one pool; a delivery picks a uniformly random one, so messages are
 * reordered and delayed by a random (geometric-like) time. Delivery is chosen with probability
 * pool / (pool + target), which settles the pool at `target` steps' worth of messages.
 */
export class LossyNet {
  readonly peers = new Map<PeerId, RFast>();
  private readonly pool: { to: PeerId; msg: Message }[] = [];
  private readonly grad: Float32Array;

  constructor(
    readonly problem: LeastSquares,
    private readonly rng: Rng,
    readonly opts: NetOptions,
  ) {
    this.grad = new Float32Array(problem.dim);
  }

  add(peer: RFast): void {
    this.peers.set(peer.id, peer);
  }

  remove(id: PeerId): void {
    this.peers.delete(id);
  }

  get inFlight(): number {
    return this.pool.length;
  }

  /**
   * One random event: a random in-flight message is delivered, a random peer steps, or (with
   * `sendRate`) a random peer's links take a few of its pending slots.
   */
  event(): void {
    const n = this.pool.length;
    // In equilibrium a message waits about `target` steps (network-wide), two per peer on average.
    const target = 2 * this.peers.size;
    if (n > 0 && this.rng.next() < n / (n + target)) this.deliverOne();
    else if ((this.opts.sendRate ?? 0) > 0 && this.rng.next() < (this.opts.sendRate as number)) this.send(this.randomPeer(), 1 + this.rng.int(4));
    else this.step(this.randomPeer());
  }

  /** The driving loop of contract.ts, with the exact gradient; sends may happen mid-step. */
  step(id: PeerId): void {
    const peer = this.peers.get(id)!;
    const lazy = (this.opts.sendRate ?? 0) > 0;
    this.post(peer.beginStep());
    if (lazy && this.rng.next() < 0.3) this.send(id, 1 + this.rng.int(3)); // while the gradient is computed
    gradient(this.problem, id, peer.params(), this.grad);
    this.post(peer.applyGradient(this.grad));
    if (!lazy) this.send(id, Infinity);
  }

  /** Peer `id`'s links take up to `max` of its pending slots. */
  send(id: PeerId, max: number): void {
    const peer = this.peers.get(id)!;
    this.post(takeSlots(peer.slots, max, (this.opts.sendRate ?? 0) > 0 ? this.rng : undefined));
  }

  deliverOne(): void {
    const i = this.rng.int(this.pool.length);
    const m = this.pool[i];
    if (this.rng.next() < this.opts.duplicate) this.pool.push(copy(m.msg, m.to));
    this.pool[i] = this.pool[this.pool.length - 1];
    this.pool.pop();
    const peer = this.peers.get(m.to); // a peer that left no longer receives
    if (peer) this.post(peer.receive(m.msg));
  }

  /** Runs events until `done()` holds (checked every `every` events) or `max` events. Returns events run. */
  runUntil(done: () => boolean, max: number, every = 100): number {
    for (let e = 1; e <= max; e++) {
      this.event();
      if (e % every === 0 && done()) return e;
    }
    return max;
  }

  private post(envs: Envelope[]): void {
    for (const env of envs) {
      if (this.opts.dead?.some(([from, to]) => from === env.msg.from && to === env.to)) continue;
      if (this.rng.next() < this.opts.loss) continue;
      this.pool.push(copy(env.msg, env.to)); // the contract lets algorithms return views: copy at once
      if (this.rng.next() < this.opts.duplicate) this.pool.push(copy(env.msg, env.to));
    }
  }

  private randomPeer(): PeerId {
    const ids = [...this.peers.keys()];
    return ids[this.rng.int(ids.length)];
  }
}

function copy(msg: Message, to: PeerId): { to: PeerId; msg: Message } {
  return { to, msg: { ...msg, data: msg.data.slice() } };
}

/** Every encoding, for property tests. */
export const anyEncoding = (): fc.Arbitrary<RfastEncodingName> => fc.constantFrom(...RFAST_ENCODING_NAMES);

/** Runs for the membership-change properties (grow, leave): any encoding, loss up to 60%, sends after each step or lazy, n peers. */
export const membershipCases = (minN: number, maxN: number) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    encoding: anyEncoding(),
    loss: fc.double({ min: 0, max: 0.6, noNaN: true }),
    sendRate: fc.constantFrom(0, 0.5),
    n: fc.integer({ min: minN, max: maxN }),
  });

/** The push share the exact-convergence tests' step sizes were sized for (the default until 2026-12-05). */
export const PUSH_SHARE_SIZED_FOR = 0.1;

/**
 * One RFast per member of `t`, all starting at x0. Unless told otherwise, a push moves
 * PUSH_SHARE_SIZED_FOR: the step sizes of these exact-convergence tests were sized for it (the
 * default share, RFAST_DEFAULTS.pushShare, trades convergence speed on such problems for
 * volunteers' links; sim/rfast.convergence.test.ts runs it).
 */
export function spawn(
  net: LossyNet,
  t: Topology,
  opts: { lr: number; blockSize: number; epoch?: number; naive?: boolean; x0?: Float32Array; kernels?: KernelChoice; encoding?: RfastEncodingName; pushShare?: number },
): void {
  for (const id of t.members) {
    net.add(
      new RFast({
        id,
        x0: opts.x0 ?? new Float32Array(net.problem.dim),
        lr: opts.lr,
        blockSize: opts.blockSize,
        epoch: opts.epoch ?? 0,
        neighbours: neighboursOf(t, id),
        naive: opts.naive,
        kernels: opts.kernels,
        encoding: opts.encoding ?? 'f32',
        pushShare: opts.pushShare ?? PUSH_SHARE_SIZED_FOR,
      }),
    );
  }
}

/**
 * Largest per-coordinate violation of section 1.4, relative to the magnitude of the terms:
 * sum_i z_i + sum_{j->k on G_C} (rho_kj sent - rhoTilde_kj) - sum_i g_i. Float64 round-off gives
 * about 1e-15; one lost message gives order 1e-2 or more.
 */
export function massImbalance(peers: ReadonlyMap<PeerId, RFast>): number {
  const dim = peers.values().next().value?.dim ?? 0;
  const diff = new Float64Array(dim);
  const scale = new Float64Array(dim).fill(Number.MIN_VALUE);
  for (const [j, peer] of peers) {
    const s = peer.inspect();
    for (let t = 0; t < dim; t++) {
      diff[t] += s.z[t] - s.g[t];
      scale[t] += Math.abs(s.z[t]) + Math.abs(s.g[t]);
    }
    for (const [k, rho] of s.rho) {
      const tilde = peers.get(k)?.inspect().rhoTilde.get(j);
      for (let t = 0; t < dim; t++) {
        const consumed = tilde ? tilde[t] : 0;
        diff[t] += rho[t] - consumed;
        scale[t] += Math.abs(rho[t]) + Math.abs(consumed);
      }
    }
  }
  let worst = 0;
  for (let t = 0; t < dim; t++) worst = Math.max(worst, Math.abs(diff[t]) / scale[t]);
  return worst;
}

/** Worst relative error of any peer's model against `ref`. */
export function worstError(peers: ReadonlyMap<PeerId, RFast>, ref: ArrayLike<number>): number {
  let worst = 0;
  for (const p of peers.values()) {
    const e = relError(p.model(), ref);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** A random lossy run: the case a property test draws. */
export interface LossyRunCase {
  seed: number;
  ids: PeerId[];
  dim: number;
  blockSize: number;
  loss: number;
  duplicate: number;
  kind: TopologyKind;
  naive?: boolean;
  kernels?: KernelChoice;
  encoding?: RfastEncodingName;
  /** See NetOptions.sendRate. */
  sendRate?: number;
}

/** A lossy network of R-FAST peers on `kind` over `ids`, with a step size safe for any topology. */
export function lossyRun(c: LossyRunCase): LossyNet {
  const rng = new Rng(c.seed);
  const problem = makeProblem(rng, c.ids, c.dim, 3);
  const net = new LossyNet(problem, rng, { loss: c.loss, duplicate: c.duplicate, sendRate: c.sendRate });
  const lr = 0.2 / averageSmoothness(problem, c.ids) / c.ids.length;
  spawn(net, buildTopology(c.kind, c.ids, { seed: c.seed }), { lr, blockSize: c.blockSize, naive: c.naive, kernels: c.kernels, encoding: c.encoding });
  return net;
}

const TOPOLOGY_KINDS_ALL: readonly TopologyKind[] = ['exponential', 'ring', 'kout', 'star', 'tree'];

/** Random lossy runs for property tests: any seed, 1-7 scattered peer ids, every topology kind. */
export function lossyCases(b: { maxDim: number; maxBlock: number; maxLoss: number; maxDuplicate: number }): fc.Arbitrary<LossyRunCase> {
  return fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 7 }),
    dim: fc.integer({ min: 1, max: b.maxDim }),
    blockSize: fc.integer({ min: 1, max: b.maxBlock }),
    loss: fc.double({ min: 0, max: b.maxLoss, noNaN: true }),
    duplicate: fc.double({ min: 0, max: b.maxDuplicate, noNaN: true }),
    kind: fc.constantFrom(...TOPOLOGY_KINDS_ALL),
    encoding: anyEncoding(),
    sendRate: fc.constantFrom(0, 0.3, 0.6),
  });
}

/** A topology kind for a membership change in a property test. */
export const anyTopologyKind = (): fc.Arbitrary<TopologyKind> => fc.constantFrom(...TOPOLOGY_KINDS_ALL);
