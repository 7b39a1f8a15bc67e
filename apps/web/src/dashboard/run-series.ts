import type { PeerId } from '@starling/core';
import { alignSeries, downsampleMinMax, emaSmooth, interpolateAt, meanOf, type Columns, type Value } from './series';
import type { DashPeersPayload, MetricPoint, PeerLossSeries } from './types';

/**
 * The training-loss history of the current run, column-oriented so a chart update is a few array
 * passes. A row holds the time, the run's total samples, the mean loss of the live peers and each
 * peer's own loss, averaged over `stride` consecutive `peers` payloads (about one a second).
 * Memory is bounded with uniform resolution: past `capacity` rows, neighbouring rows merge pairwise
 * and the stride doubles; at most `maxPeerColumns` peers keep a line. The newest row stays open and
 * absorbs payloads until it holds `stride` of them, so the chart still moves every second.
 */

export type XMode = 'time' | 'samples';

export interface RunSeriesLimits {
  capacity: number;
  maxPeerColumns: number;
}

export interface LossView {
  /** `ys[k]` is the loss of `peerIds[k]` and the last column the run mean (drawn last, on top); x in seconds or samples. */
  cols: Columns;
  peerIds: PeerId[];
}

export class RunSeries {
  private t: number[] = [];
  private samples: number[] = [];
  private mean: Value[] = [];
  private readonly peers = new Map<PeerId, Value[]>();
  /** Time of each peer's latest loss, to pick which line to drop when there are too many. */
  private readonly lastLossAt = new Map<PeerId, number>();
  /** Payloads per row; doubles at each compaction. */
  private stride = 1;
  /** Payloads already in the newest row, and their sums, while it is still open. */
  private openCount = 0;
  private openMean: Acc = { sum: 0, n: 0 };
  private openPeers = new Map<PeerId, Acc>();

  constructor(private readonly limits: RunSeriesLimits) {
    if (limits.capacity < 4) throw new RangeError(`capacity must be at least 4, got ${limits.capacity}`);
  }

  get length(): number {
    return this.t.length;
  }

  /** Peers that have (or had) a loss line, ascending. */
  peerIds(): PeerId[] {
    return [...this.peers.keys()].sort((a, b) => a - b);
  }

  latestSamples(): number {
    return this.samples.length > 0 ? this.samples[this.samples.length - 1] : 0;
  }

  /** Add one live `peers` payload. Returns false (and changes nothing) for an old or empty one. */
  appendPeers(p: DashPeersPayload): boolean {
    if (p.peers.length === 0 || !Number.isFinite(p.at)) return false;
    if (this.t.length > 0 && p.at <= this.t[this.t.length - 1]) return false;
    let total = 0;
    const losses = new Map<PeerId, number>();
    for (const peer of p.peers) {
      if (Number.isFinite(peer.samples) && peer.samples > 0) total += peer.samples;
      if (peer.state === 'live' && typeof peer.loss === 'number' && Number.isFinite(peer.loss)) losses.set(peer.id, peer.loss);
    }
    // Departed peers the server has forgotten drop out of the sum; the run total never goes back.
    const samples = Math.max(this.latestSamples(), total);
    if (this.t.length > 0 && this.openCount < this.stride) {
      // Still filling the newest row: move its end time and fold the values into its averages.
      const row = this.t.length - 1;
      this.t[row] = p.at;
      this.samples[row] = samples;
      this.openCount++;
      this.mean[row] = addTo(this.openMean, meanOf(losses.values()));
      for (const [id, loss] of losses) this.setLoss(id, row, loss, p.at);
      return true;
    }
    // Compact before opening a row, when every row is full: pairs then merge equal spans.
    if (this.t.length >= this.limits.capacity) this.compact();
    const row = this.t.length;
    this.t.push(p.at);
    this.samples.push(samples);
    this.openCount = 1;
    this.openMean = { sum: 0, n: 0 };
    this.openPeers = new Map();
    this.mean.push(addTo(this.openMean, meanOf(losses.values())));
    for (const col of this.peers.values()) col.push(null);
    for (const [id, loss] of losses) this.setLoss(id, row, loss, p.at);
    return true;
  }

  private setLoss(id: PeerId, row: number, loss: number, at: number): void {
    const col = this.peers.get(id) ?? this.addColumn(id, row + 1);
    if (col === null) return;
    let acc = this.openPeers.get(id);
    if (acc === undefined) this.openPeers.set(id, (acc = { sum: 0, n: 0 }));
    col[row] = addTo(acc, loss);
    this.lastLossAt.set(id, at);
  }

  /** Replace everything with the server's history (metrics and per-peer losses of one run). */
  loadHistory(metrics: readonly MetricPoint[], losses: readonly PeerLossSeries[]): void {
    this.t = [];
    this.samples = [];
    this.mean = [];
    this.peers.clear();
    this.lastLossAt.clear();
    this.stride = 1;
    const m = [...metrics].filter((p) => Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
    const kept = [...losses]
      .filter((s) => s.points.length > 0)
      .sort((a, b) => b.points[b.points.length - 1].t - a.points[a.points.length - 1].t)
      .slice(0, this.limits.maxPeerColumns)
      .sort((a, b) => a.peerId - b.peerId);
    const aligned = alignSeries([
      { x: m.map((p) => p.t), y: m.map((p) => p.meanLoss) },
      ...kept.map((s) => ({ x: s.points.map((p) => p.t), y: s.points.map((p) => p.loss) })),
    ]);
    const mt = m.map((p) => p.t);
    const ms = m.map((p) => p.samples);
    let floor = 0;
    for (let i = 0; i < aligned.x.length; i++) {
      floor = Math.max(floor, Math.round(interpolateAt(mt, ms, aligned.x[i]) ?? 0));
      this.samples.push(floor);
    }
    this.t = aligned.x;
    // Rows without a recorded mean (peer-only timestamps) get the mean of the peer values there.
    this.mean = aligned.ys[0].map((v, i) => v ?? meanOf(aligned.ys.slice(1).map((col) => col[i])));
    kept.forEach((s, k) => {
      this.peers.set(s.peerId, aligned.ys[k + 1]);
      this.lastLossAt.set(s.peerId, s.points[s.points.length - 1].t);
    });
    while (this.t.length > this.limits.capacity) this.compact();
    // History rows are closed: the first live payload opens a row of its own.
    this.openCount = this.stride;
  }

  /** Chart-ready columns: optional EMA (per line, at full resolution), then min/max downsampling. */
  view(xMode: XMode, emaBeta: number | null, maxPoints: number): LossView {
    const peerIds = this.peerIds();
    const x = xMode === 'time' ? this.t.map((ms) => ms / 1000) : this.samples.slice();
    const raw = [...peerIds.map((id) => this.peers.get(id)!), this.mean];
    const ys = emaBeta === null ? raw : raw.map((col) => emaSmooth(col, emaBeta));
    return { cols: downsampleMinMax({ x, ys }, maxPoints), peerIds };
  }

  /** A new column, back-filled with nulls; null when the cap is hit and this peer loses. */
  private addColumn(id: PeerId, length: number): Value[] | null {
    if (this.peers.size >= this.limits.maxPeerColumns) {
      let oldest: PeerId | null = null;
      for (const [pid, at] of this.lastLossAt) if (oldest === null || at < this.lastLossAt.get(oldest)!) oldest = pid;
      if (oldest === null) return null;
      this.peers.delete(oldest);
      this.lastLossAt.delete(oldest);
    }
    const col = new Array<Value>(length).fill(null);
    this.peers.set(id, col);
    return col;
  }

  /** Merge neighbouring rows pairwise (an odd last row stays alone) and double the stride. */
  private compact(): void {
    const merge = <T>(src: T[], pick: (a: T, b: T) => T): T[] => {
      const out: T[] = [];
      for (let i = 0; i + 1 < src.length; i += 2) out.push(pick(src[i], src[i + 1]));
      if (src.length % 2 === 1) out.push(src[src.length - 1]);
      return out;
    };
    const later = <T>(_a: T, b: T): T => b;
    const avg = (a: Value, b: Value): Value => meanOf([a, b]);
    this.t = merge(this.t, later);
    this.samples = merge(this.samples, later);
    this.mean = merge(this.mean, avg);
    for (const [id, col] of this.peers) this.peers.set(id, merge(col, avg));
    this.stride *= 2;
    // The merged newest row counts as full: the next payload starts a fresh one.
    this.openCount = this.stride;
  }
}

interface Acc {
  sum: number;
  n: number;
}

/** Fold a value into a running average and return the average (null while it has none). */
function addTo(acc: Acc, v: number | null): Value {
  if (v !== null) {
    acc.sum += v;
    acc.n++;
  }
  return acc.n > 0 ? acc.sum / acc.n : null;
}
