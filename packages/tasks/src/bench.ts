/**
 * MNIST pipeline timings: packing (first run), loading, shard splits of the training set, and
 * sampler throughput.
 *
 *   npx tsx packages/tasks/src/bench.ts [dataDir]      (default .data/mnist)
 */
import { ensurePacked, loadPackedSet as loadPacked } from './node';
import { ExampleSampler as ShardSampler, makeShards, subset, encodeSet, decodeSet } from './index';

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(1)} ms`;
}

const dataDir = process.argv[2] ?? '.data/mnist';
let t0 = performance.now();
const paths = await ensurePacked(dataDir);
console.log(`ensurePacked: ${ms(t0)}`);
t0 = performance.now();
const train = await loadPacked(paths.train);
console.log(`loadPacked(train, ${train.count} images, validated): ${ms(t0)}`);

for (const [name, opts] of [
  ['iid', { mode: 'iid', seed: 1 }],
  ['noniid 2 classes', { mode: 'noniid', classesPerShard: 2, seed: 1 }],
  ['noniid Dirichlet(0.1)', { mode: 'noniid', dirichletAlpha: 0.1, seed: 1 }],
] as const) {
  t0 = performance.now();
  const shards = makeShards((train.targets as Uint8Array), 32, opts);
  const sizes = shards.map((s) => s.length);
  console.log(`makeShards(60000, 32 shards, ${name}): ${ms(t0)}; shard sizes ${Math.min(...sizes)}..${Math.max(...sizes)}`);
}

const shard = subset(train, makeShards((train.targets as Uint8Array), 32, { mode: 'iid', seed: 1 })[0]);
t0 = performance.now();
const payload = encodeSet(shard, { index: 0, of: 32 });
const encMs = performance.now() - t0;
t0 = performance.now();
decodeSet(payload.buffer, { shard: { index: 0, of: 32 } });
console.log(`shard payload ${(payload.length / 1e6).toFixed(2)} MB: encode ${encMs.toFixed(2)} ms, decode ${ms(t0)}`);

const batch = 64;
const sampler = new ShardSampler(train, { batchSize: batch, seed: 1 });
const x = new Float32Array(batch * 784);
const y = new Int32Array(batch);
for (let i = 0; i < 100; i++) sampler.next(x, y);
const n = 2000;
t0 = performance.now();
for (let i = 0; i < n; i++) sampler.next(x, y);
const per = (performance.now() - t0) / n;
console.log(`ShardSampler.next(batch ${batch}): ${(per * 1000).toFixed(1)} us/batch (${((batch * 784 * 4) / per / 1e3).toFixed(0)} MB/s of float32 written)`);
