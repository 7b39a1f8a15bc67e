/**
 * Which examples each peer trains on. Pure and seeded: the server and every test get the same
 * split from the same (labels, count, options).
 */
import { Rng } from '@starling/core';
import { DATA_CONFIG } from './config';
import { DataError } from './errors';
import { dirichlet, shuffleInPlace } from './random';
import { classLabels, sliceStream, subset, type DataSet } from './set';

export interface ShardOptions {
  /** iid: a seeded permutation cut into near-equal parts. noniid: skewed label distributions. */
  mode: 'iid' | 'noniid';
  /** noniid: every shard holds exactly this many classes (default DATA_CONFIG.defaultClassesPerShard). */
  classesPerShard?: number;
  /** noniid: per-class shard proportions drawn from Dirichlet(alpha); small alpha = more skew. */
  dirichletAlpha?: number;
  /** Dirichlet: minimum examples per shard (default DATA_CONFIG.dirichletMinShardSize). */
  minShardSize?: number;
  seed: number;
}

/**
 * Splits the examples with these labels into `count` shards; returns each shard's example indices,
 * ascending. Shards are always disjoint. They cover every example in iid and Dirichlet modes, and in
 * classesPerShard mode when count x classesPerShard >= the number of classes present (otherwise the
 * classes no shard was dealt are left out, so that every shard keeps exactly classesPerShard classes).
 */
export function makeShards(labels: Uint8Array, count: number, opts: ShardOptions): Uint32Array[] {
  if (!Number.isInteger(count) || count < 1 || count > labels.length) {
    throw new DataError('bad-option', `shard count must be an integer in 1..${labels.length} (the number of examples), got ${count}`);
  }
  if (!Number.isInteger(opts.seed)) throw new DataError('bad-option', `seed must be an integer, got ${opts.seed}`);
  const rng = new Rng(opts.seed);
  if (opts.mode === 'iid') {
    if (opts.classesPerShard !== undefined || opts.dirichletAlpha !== undefined) {
      throw new DataError('bad-option', "classesPerShard and dirichletAlpha apply to mode 'noniid' only");
    }
    return iidShards(labels.length, count, rng);
  }
  if (opts.mode !== 'noniid') throw new DataError('bad-option', `mode must be 'iid' or 'noniid', got ${String(opts.mode)}`);
  if (opts.dirichletAlpha !== undefined) {
    if (opts.classesPerShard !== undefined) {
      throw new DataError('bad-option', 'give either classesPerShard or dirichletAlpha, not both');
    }
    if (!(opts.dirichletAlpha > 0) || !Number.isFinite(opts.dirichletAlpha)) {
      throw new DataError('bad-option', `dirichletAlpha must be a positive finite number, got ${opts.dirichletAlpha}`);
    }
    const minSize = opts.minShardSize ?? DATA_CONFIG.dirichletMinShardSize;
    if (!Number.isInteger(minSize) || minSize < 0) {
      throw new DataError('bad-option', `minShardSize must be a non-negative integer, got ${minSize}`);
    }
    return dirichletShards(byClass(labels, rng), count, opts.dirichletAlpha, Math.min(minSize, Math.floor(labels.length / count)), rng);
  }
  return classShards(byClass(labels, rng), count, opts.classesPerShard ?? DATA_CONFIG.defaultClassesPerShard, rng);
}

function iidShards(n: number, count: number, rng: Rng): Uint32Array[] {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  shuffleInPlace(perm, rng);
  const shards: Uint32Array[] = [];
  for (let s = 0; s < count; s++) {
    shards.push(perm.slice(Math.floor((s * n) / count), Math.floor(((s + 1) * n) / count)).sort());
  }
  return shards;
}

/** Example indices of each class present, each list shuffled; classes ascending. */
function byClass(labels: Uint8Array, rng: Rng): Uint32Array[] {
  const sizes = new Uint32Array(256);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]]++;
  const lists: Uint32Array[] = [];
  const slot = new Int32Array(256).fill(-1);
  for (let c = 0; c < 256; c++) {
    if (sizes[c] > 0) {
      slot[c] = lists.length;
      lists.push(new Uint32Array(sizes[c]));
    }
  }
  const fill = new Uint32Array(lists.length);
  for (let i = 0; i < labels.length; i++) {
    const k = slot[labels[i]];
    lists[k][fill[k]++] = i;
  }
  for (const l of lists) shuffleInPlace(l, rng);
  return lists;
}

/** Concatenates the ranges dealt to each shard and sorts them. */
function gather(parts: Uint32Array[][], count: number): Uint32Array[] {
  const shards: Uint32Array[] = [];
  for (let s = 0; s < count; s++) {
    let len = 0;
    for (const p of parts[s]) len += p.length;
    const out = new Uint32Array(len);
    let at = 0;
    for (const p of parts[s]) {
      out.set(p, at);
      at += p.length;
    }
    shards.push(out.sort());
  }
  return shards;
}

/**
 * Deals classes round-robin over a seeded class order: shard s holds classes
 * order[(s*k + j) mod C], j < k (distinct since k <= C), so each class goes to floor or ceil(count*k/C)
 * shards; each class's examples are split evenly among its holders.
 */
function classShards(classes: Uint32Array[], count: number, k: number, rng: Rng): Uint32Array[] {
  const C = classes.length;
  if (!Number.isInteger(k) || k < 1 || k > C) {
    throw new DataError('bad-option', `classesPerShard must be an integer in 1..${C} (classes present), got ${k}`);
  }
  const order = new Uint32Array(C);
  for (let c = 0; c < C; c++) order[c] = c;
  shuffleInPlace(order, rng);
  const holders: number[][] = Array.from({ length: C }, () => []);
  for (let s = 0; s < count; s++) {
    for (let j = 0; j < k; j++) holders[order[(s * k + j) % C]].push(s);
  }
  const parts: Uint32Array[][] = Array.from({ length: count }, () => []);
  for (let c = 0; c < C; c++) {
    const list = classes[c];
    const h = holders[c];
    if (h.length > list.length) {
      throw new DataError(
        'infeasible',
        `a class with ${list.length} examples would be dealt to ${h.length} shards; use fewer shards or fewer classesPerShard`,
      );
    }
    for (let m = 0; m < h.length; m++) {
      parts[h[m]].push(list.subarray(Math.floor((m * list.length) / h.length), Math.floor(((m + 1) * list.length) / h.length)));
    }
  }
  return gather(parts, count);
}

/**
 * For each class, shard proportions ~ Dirichlet(alpha); the class's examples are cut at the rounded
 * cumulative proportions. Redrawn until every shard has minSize examples.
 */
function dirichletShards(classes: Uint32Array[], count: number, alpha: number, minSize: number, rng: Rng): Uint32Array[] {
  const C = classes.length;
  const props = new Float64Array(count);
  const cuts = new Uint32Array(C * (count + 1));
  const sizes = new Uint32Array(count);
  for (let attempt = 0; attempt < DATA_CONFIG.dirichletMaxAttempts; attempt++) {
    sizes.fill(0);
    for (let c = 0; c < C; c++) {
      dirichlet(rng, alpha, props);
      const n = classes[c].length;
      const base = c * (count + 1);
      let cum = 0;
      cuts[base] = 0;
      for (let s = 0; s < count; s++) {
        cum += props[s];
        cuts[base + s + 1] = s === count - 1 ? n : Math.min(n, Math.round(cum * n));
        sizes[s] += cuts[base + s + 1] - cuts[base + s];
      }
    }
    let smallest = Infinity;
    for (let s = 0; s < count; s++) smallest = Math.min(smallest, sizes[s]);
    if (smallest < minSize) continue;
    const parts: Uint32Array[][] = Array.from({ length: count }, () => []);
    for (let c = 0; c < C; c++) {
      const base = c * (count + 1);
      for (let s = 0; s < count; s++) {
        if (cuts[base + s + 1] > cuts[base + s]) parts[s].push(classes[c].subarray(cuts[base + s], cuts[base + s + 1]));
      }
    }
    return gather(parts, count);
  }
  throw new DataError(
    'infeasible',
    `no Dirichlet(${alpha}) split of ${count} shards gave every shard ${minSize}+ examples in ${DATA_CONFIG.dirichletMaxAttempts} draws; raise dirichletAlpha, use fewer shards or lower minShardSize`,
  );
}

/**
 * One shard of a set for each of `count` peers. Examples are cut by `makeShards` (non-IID needs
 * class labels: a regression set is always cut IID); a stream is cut into segments of
 * DATA_CONFIG.streamSegment tokens, dealt round robin after a seeded shuffle (IID) or in order, so
 * each shard is one contiguous stretch of the text (non-IID).
 */
export function shardSet(set: DataSet, count: number, opts: ShardOptions): DataSet[] {
  if (set.layout === 'examples') {
    const labels = classLabels(set);
    const o: ShardOptions = labels === null ? { mode: 'iid', seed: opts.seed } : opts;
    const indices = makeShards(labels ?? new Uint8Array(set.count), count, o);
    return indices.map((idx) => subset(set, idx));
  }
  const seg = DATA_CONFIG.streamSegment;
  const segments = Math.ceil(set.count / seg);
  if (!Number.isInteger(count) || count < 1 || count > segments) {
    throw new DataError('bad-option', `a stream of ${set.count} tokens makes ${segments} segments of ${seg}: shard count must be in 1..${segments}, got ${count}`);
  }
  const order = new Uint32Array(segments);
  for (let i = 0; i < segments; i++) order[i] = i;
  const ranges: [number, number][][] = Array.from({ length: count }, () => []);
  const range = (k: number): [number, number] => [k * seg, Math.min(set.count, (k + 1) * seg)];
  if (opts.mode === 'iid') {
    shuffleInPlace(order, new Rng(opts.seed));
    for (let i = 0; i < segments; i++) ranges[i % count].push(range(order[i]));
  } else {
    for (let s = 0; s < count; s++) {
      for (let k = Math.floor((s * segments) / count); k < Math.floor(((s + 1) * segments) / count); k++) ranges[s].push(range(k));
    }
  }
  return ranges.map((r) => sliceStream(set, r));
}
