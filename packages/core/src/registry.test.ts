/** The registry is the one list of algorithms; everything derived from it must agree with it. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { ALGORITHMS, algorithmDescriptor, algorithmDescriptors, createAlgorithm, isAlgorithmName, sharedKinds } from './registry';
import { buildTopology, neighboursOf } from './topology';

const topo = buildTopology('exponential', [0, 1, 2, 3]);
const opts = (id: number) => ({ id, x0: Float32Array.from([1, 2, 3]), lr: 0.1, blockSize: 2, epoch: 0, neighbours: neighboursOf(topo, id), seed: 1 });

describe('algorithm registry', () => {
  it('creates every registered algorithm under its own name', () => {
    expect(ALGORITHMS).toEqual(algorithmDescriptors().map((d) => d.name));
    expect(new Set(ALGORITHMS).size).toBe(ALGORITHMS.length);
    for (const name of ALGORITHMS) {
      const a = createAlgorithm(name, opts(0));
      expect(a.name).toBe(name);
      expect(a.dim).toBe(3);
      const d = algorithmDescriptor(name);
      expect(d.defaultLr).toBeGreaterThan(0);
      expect(['graph', 'members', 'none']).toContain(d.links);
      expect(d.label.length).toBeGreaterThan(0);
    }
  });

  it('no two algorithm families claim the same message kind', () => {
    expect(sharedKinds()).toEqual([]);
  });

  it('refuses an unknown name or a bad step size with a message that lists the known names', () => {
    expect(isAlgorithmName('solo')).toBe(true);
    expect(isAlgorithmName('sgd')).toBe(false);
    expect(() => algorithmDescriptor('sgd')).toThrow(ConfigError);
    expect(() => algorithmDescriptor('sgd')).toThrow(/rfast, rfast-naive, .*solo/);
    expect(() => createAlgorithm('solo', { ...opts(0), lr: 0 })).toThrow(/lr must be a positive number/);
  });

  it('solo trains alone: plain SGD, nothing sent, anything received refused', () => {
    const s = createAlgorithm('solo', opts(2));
    expect(algorithmDescriptor('solo').links).toBe('none');
    expect(s.beginStep()).toEqual([]);
    expect(Array.from(s.params())).toEqual([1, 2, 3]);
    expect(s.applyGradient(Float32Array.from([10, 0, -10]))).toEqual([]);
    expect(Array.from(s.model())).toEqual([0, 2, 4].map((x) => Math.fround(x)));
    expect(s.receive({ kind: 1, from: 1, epoch: 0, seq: 1, block: 0, offset: 0, aux: 0, data: new Float32Array(2) })).toEqual([]);
    expect(s.stats()).toMatchObject({ steps: 1, messagesIn: 1, rejected: 1 });
    expect(() => s.applyGradient(Float32Array.from([NaN, 0, 0]))).toThrow(/NaN/);
  });
});
