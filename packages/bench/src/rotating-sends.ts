/**
 * A send-order policy around any algorithm: the messages of each step go out starting at a random
 * block instead of block 0 (the peer runtime does the same with a rotating start position,
 * packages/peer/src/frames.ts).
 *
 * Why: the peer runtime skips an unreliable send while a channel holds more than maxBufferedBytes.
 * When a link carries less than one step's worth of blocks per step (R-FAST on 40 MB/s links with
 * 3 ms steps moves ~5x what fits), the first blocks of every step fill the buffer and the last
 * blocks are skipped every time: those coordinates never reach the neighbours and training stalls.
 * Starting each step's sends at a random block shares the link among all blocks; with running sums a
 * skipped block is only a delayed one. Only the order changes: the same messages, the same bytes.
 */
import { Rng, type AlgoStats, type Algorithm, type AlgorithmName, type Envelope, type Message, type PeerId, type PeerNeighbours } from '@starling/core';

export class RotatingSends implements Algorithm {
  private readonly rng: Rng;

  constructor(
    private readonly inner: Algorithm,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  get name(): AlgorithmName {
    return this.inner.name;
  }
  get id(): PeerId {
    return this.inner.id;
  }
  get dim(): number {
    return this.inner.dim;
  }
  ready(): boolean {
    return this.inner.ready();
  }
  beginStep(): Envelope[] {
    return this.inner.beginStep();
  }
  params(): Float32Array {
    return this.inner.params();
  }
  applyGradient(grad: Float32Array): Envelope[] {
    return rotateByBlock(this.inner.applyGradient(grad), this.rng);
  }
  receive(msg: Message): Envelope[] {
    return this.inner.receive(msg);
  }
  model(): Float32Array {
    return this.inner.model();
  }
  setEpoch(epoch: number, neighbours: PeerNeighbours): Envelope[] {
    return this.inner.setEpoch(epoch, neighbours);
  }
  loadModel(x: Float32Array): void {
    this.inner.loadModel(x);
  }
  stats(): AlgoStats {
    return this.inner.stats();
  }
}

/**
 * The envelopes reordered to start at a random block: blocks start..max first, then 0..start-1;
 * within a block the original order is kept (the sort is stable).
 */
export function rotateByBlock(envs: Envelope[], rng: Rng): Envelope[] {
  if (envs.length < 2) return envs;
  let max = 0;
  for (const e of envs) if (e.msg.block > max) max = e.msg.block;
  if (max === 0) return envs;
  const start = rng.int(max + 1);
  const key = (b: number) => (b >= start ? b - start : b + max + 1 - start);
  return envs
    .map((e, i) => ({ e, i, k: key(e.msg.block) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.e);
}
