import { describe, expect, it } from 'vitest';
import { DataError, ExampleSampler, copyExamples } from '../index';
import { syntheticSet } from './testing';

const PPI = 784;

/** Which example a filled slot holds, read back from the index bytes syntheticSet writes. */
function exampleAt(x: Float32Array, b: number): number {
  return Math.round(x[b * PPI] * 255) + 256 * Math.round(x[b * PPI + 1] * 255);
}

describe('ExampleSampler', () => {
  const set = syntheticSet(120, 7);

  it('fills pixels / 255 and the matching labels', () => {
    const s = new ExampleSampler(set, { batchSize: 16, seed: 1 });
    const x = new Float32Array(16 * PPI);
    const y = new Int32Array(16);
    s.next(x, y);
    for (let b = 0; b < 16; b++) {
      const i = exampleAt(x, b);
      expect(y[b]).toBe(set.targets![i]);
      for (let p = 0; p < PPI; p++) expect(x[b * PPI + p]).toBe(Math.fround(set.features[i * PPI + p] / 255));
    }
  });

  it('visits every example exactly once per epoch, in a new order each epoch', () => {
    const s = new ExampleSampler(set, { batchSize: 20, seed: 2 });
    const x = new Float32Array(20 * PPI);
    const y = new Uint8Array(20);
    const orders: number[][] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const order: number[] = [];
      for (let k = 0; k < 6; k++) {
        expect(s.epoch).toBe(epoch);
        s.next(x, y);
        for (let b = 0; b < 20; b++) order.push(exampleAt(x, b));
      }
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));
      orders.push(order);
    }
    expect(orders[1]).not.toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[1]);
  });

  it('keeps batches full across an epoch boundary', () => {
    const s = new ExampleSampler(set, { batchSize: 50, seed: 3 });
    const x = new Float32Array(50 * PPI);
    const y = new Int32Array(50);
    const seen: number[] = [];
    s.next(x, y);
    s.next(x, y);
    for (let b = 0; b < 50; b++) seen.push(exampleAt(x, b));
    s.next(x, y); // examples 100..119 of epoch 0, then 30 of epoch 1
    expect(s.epoch).toBe(1);
    expect(s.position).toBe(30);
    const tail: number[] = [];
    for (let b = 0; b < 20; b++) tail.push(exampleAt(x, b));
    expect(new Set([...seen, ...tail]).size).toBe(70);
  });

  it('is deterministic per seed', () => {
    const run = (seed: number) => {
      const s = new ExampleSampler(set, { batchSize: 32, seed });
      const x = new Float32Array(32 * PPI);
      const y = new Int32Array(32);
      const ids: number[] = [];
      for (let k = 0; k < 10; k++) {
        s.next(x, y);
        for (let b = 0; b < 32; b++) ids.push(exampleAt(x, b));
      }
      return ids;
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });

  it('samples a shard smaller than one batch', () => {
    const small = syntheticSet(3, 9);
    const s = new ExampleSampler(small, { batchSize: 7, seed: 1 });
    const x = new Float32Array(7 * PPI);
    const y = new Int32Array(7);
    s.next(x, y);
    const ids = Array.from({ length: 7 }, (_, b) => exampleAt(x, b));
    expect(ids.every((i) => i < 3)).toBe(true);
    expect(s.epoch).toBe(2);
  });

  it('rejects wrong buffers and options without touching the buffers', () => {
    const s = new ExampleSampler(set, { batchSize: 4, seed: 1 });
    const x = new Float32Array(4 * PPI - 1).fill(-1);
    expect(() => s.next(x, new Int32Array(4))).toThrow(DataError);
    expect(x.every((v) => v === -1)).toBe(true);
    expect(() => s.next(new Float32Array(4 * PPI), new Int32Array(5))).toThrow(DataError);
    expect(() => new ExampleSampler(set, { batchSize: 0, seed: 1 })).toThrow(DataError);
    expect(() => new ExampleSampler(syntheticSet(0), { batchSize: 1, seed: 1 })).toThrow(DataError);
  });
});

describe('copyExamples', () => {
  it('copies a range in order for evaluation', () => {
    const set = syntheticSet(30, 2);
    const x = new Float32Array(10 * PPI);
    const y = new Int32Array(10);
    copyExamples(set, 17, 10, x, y);
    for (let b = 0; b < 10; b++) {
      expect(exampleAt(x, b)).toBe(17 + b);
      expect(y[b]).toBe(set.targets![17 + b]);
    }
    expect(() => copyExamples(set, 25, 10, x, y)).toThrow(DataError);
  });
});
