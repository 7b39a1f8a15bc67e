/**
 * A deliberately simple Algorithm for testing the engine on its own (not exported from the package):
 * local gradient steps followed by averaging with the newest models received from G_R in-neighbours.
 * In `sync` mode it waits, round by round, for every in-neighbour's model of the previous round (sent
 * reliably), which exercises blocking, FIFO order and wake-ups; it counts out-of-order arrivals so
 * tests can check the network's FIFO promise. Its send buffer is reused on purpose: a simulator that
 * forgot to copy in-flight messages would deliver corrupted models.
 */
import {
  MsgKind,
  type AlgoStats,
  type Algorithm,
  type AlgorithmName,
  type AlgorithmOptions,
  type Envelope,
  type Message,
  type PeerNeighbours,
} from '@starling/core';
import type { SimConfig } from './types';

export class ToyAlgorithm implements Algorithm {
  readonly name: AlgorithmName = 'dpsgd';
  readonly dim: number;
  private readonly x: Float32Array;
  private readonly out: Float32Array;
  private nb: PeerNeighbours;
  private epoch: number;
  private seq = 0;
  private readonly latest = new Map<number, { seq: number; x: Float32Array }>();
  /** Per sender: highest seq received so far, to count reorderings. */
  private readonly highest = new Map<number, number>();
  /** Per round: how many in-neighbours' models of that round arrived (sync mode). */
  private readonly arrivals = new Map<number, number>();
  private readonly st: AlgoStats = { steps: 0, messagesIn: 0, rejected: 0, stale: 0 };
  outOfOrder = 0;
  /** Arrivals whose payload no longer matches the checksum taken at send time. */
  corrupted = 0;

  constructor(
    private readonly opts: AlgorithmOptions,
    private readonly sync: boolean,
  ) {
    this.dim = opts.x0.length;
    this.x = opts.x0.slice();
    this.out = new Float32Array(this.dim);
    this.nb = opts.neighbours;
    this.epoch = opts.epoch;
  }

  get id(): number {
    return this.opts.id;
  }

  ready(): boolean {
    return !this.sync || this.seq === 0 || (this.arrivals.get(this.seq) ?? 0) >= this.nb.rIn.length;
  }

  beginStep(): Envelope[] {
    return [];
  }

  params(): Float32Array {
    return this.x;
  }

  applyGradient(g: Float32Array): Envelope[] {
    const d = this.dim;
    for (let j = 0; j < d; j++) this.x[j] -= this.opts.lr * g[j];
    let k = 1;
    for (const j of this.nb.rIn) {
      const v = this.latest.get(j);
      if (v === undefined) continue;
      for (let t = 0; t < d; t++) this.x[t] += v.x[t];
      k++;
    }
    for (let t = 0; t < d; t++) this.x[t] /= k;
    this.seq++;
    this.st.steps++;
    this.out.set(this.x);
    const msg: Message = { kind: MsgKind.DpsgdModel, from: this.id, epoch: this.epoch, seq: this.seq, block: 0, offset: 0, aux: checksum(this.out), data: this.out };
    return this.nb.rOut.map((to) => ({ to, reliable: this.sync, msg }));
  }

  receive(m: Message): Envelope[] {
    this.st.messagesIn++;
    if (m.epoch !== this.epoch || m.data.length !== this.dim || !this.nb.rIn.includes(m.from)) {
      this.st.rejected++;
      return [];
    }
    if (checksum(m.data) !== m.aux) this.corrupted++;
    const hi = this.highest.get(m.from) ?? 0;
    if (m.seq < hi) this.outOfOrder++;
    this.highest.set(m.from, Math.max(hi, m.seq));
    this.arrivals.set(m.seq, (this.arrivals.get(m.seq) ?? 0) + 1);
    const cur = this.latest.get(m.from);
    if (cur !== undefined && cur.seq >= m.seq) {
      this.st.stale++;
      return [];
    }
    this.latest.set(m.from, { seq: m.seq, x: Float32Array.from(m.data) });
    return [];
  }

  model(): Float32Array {
    return this.x;
  }

  setEpoch(epoch: number, nb: PeerNeighbours): Envelope[] {
    this.epoch = epoch;
    this.nb = nb;
    this.latest.clear();
    this.arrivals.clear();
    this.seq = 0;
    return [];
  }

  loadModel(x: Float32Array): void {
    this.x.set(x);
  }

  stats(): AlgoStats {
    return { ...this.st };
  }
}

function checksum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * (i + 1);
  return s;
}

/** A createAlgorithm stand-in; every instance it makes is appended to `made`. */
export function toyFactory(sync: boolean, made: ToyAlgorithm[] = []): (name: AlgorithmName, opts: AlgorithmOptions) => Algorithm {
  return (_name, opts) => {
    const a = new ToyAlgorithm(opts, sync);
    made.push(a);
    return a;
  };
}

/**
 * The convergence tests' common setting: 8 peers, heterogeneous least squares in 10 dimensions,
 * exact gradients, 20 ms steps with 30% jitter, 10 ms links whose 30 ms jitter reorders messages.
 */
export function lsConfig(over: Partial<SimConfig> = {}): SimConfig {
  return {
    n: 8,
    algorithm: 'rfast',
    settings: { lr: 0.1 },
    topology: { kind: 'exponential' },
    problem: { kind: 'least-squares', dim: 10, samplesPerPeer: 20, heterogeneity: 1 },
    network: { latency: 0.01, jitter: 0.03, loss: 0, duplicate: 0 },
    compute: { stepTime: 0.02, jitter: 0.3 },
    stop: { time: 40 },
    record: { interval: 1, perPeer: false },
    seed: 1,
    ...over,
  };
}
