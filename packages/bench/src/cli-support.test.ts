import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, publishReport } from './cli-support';
import { BenchError } from './errors';

const D = { preset: 'quick', outPrefix: 'results' };

describe('parseBenchArgs', () => {
  it('reads options and fills defaults', () => {
    expect(parseBenchArgs([], D)).toEqual({ preset: "quick", out: "results/quick", seed: 1, stepTime: null, sendBuffer: null, from: null, tunedFrom: null, algorithms: null, pushShare: null, paceMargin: null, task: null, backends: null, score: "average", encoding: null });
    expect(parseBenchArgs(['--preset', 'full', '--seed', '7', '--step-time', '0.0035', '--out', 'x/y', '--send-buffer', '1048576'], D)).toEqual({
      preset: 'full',
      out: 'x/y',
      seed: 7,
      stepTime: 0.0035,
      sendBuffer: 1048576,
      from: null,
      tunedFrom: null,
      algorithms: null,
      pushShare: null,
      paceMargin: null,
      task: null,
      backends: null,
      score: 'average',
      encoding: null,
    });
    expect(parseBenchArgs(['--backends', 'webgpu,cpu'], D).backends).toEqual(['webgpu', 'cpu']);
    expect(() => parseBenchArgs(['--backends', 'webgl'], D)).toThrow(/--backends must list Node backends/);
    expect(parseBenchArgs(['--task', 'mnist-cnn'], D)).toMatchObject({ task: 'mnist-cnn', out: 'results/quick-mnist-cnn' });
    expect(() => parseBenchArgs(['--task', 'MNIST!'], D)).toThrow(BenchError);
    expect(parseBenchArgs(['--from', 'results/full/comparison.json'], D).from).toBe('results/full/comparison.json');
    expect(parseBenchArgs(['--algorithms', 'rfast,solo', '--push-share', '0.75'], D)).toMatchObject({ algorithms: ['rfast', 'solo'], pushShare: 0.75 });
    expect(() => parseBenchArgs(['--algorithms', 'rfast,fedavg'], D)).toThrow(/unknown algorithm 'fedavg'/);
    expect(() => parseBenchArgs(['--push-share', '0'], D)).toThrow(/--push-share/);
    expect(parseBenchArgs(['--pace-margin', '0'], D).paceMargin).toBe(0);
    expect(() => parseBenchArgs(['--pace-margin', '-1'], D)).toThrow(/--pace-margin must be in \[0, 16\]/);
    expect(parseBenchArgs(['--tuned-from', 'results/home/comparison.json'], D).tunedFrom).toBe('results/home/comparison.json');
    expect(parseBenchArgs(['--score', 'worst-peer'], D).score).toBe('worst-peer');
    expect(() => parseBenchArgs(['--score', 'best-peer'], D)).toThrow(/--score must be one of average, worst-peer/);
    expect(parseBenchArgs(['--encoding', 'i4'], D).encoding).toBe('i4');
    expect(() => parseBenchArgs(['--encoding', 'i2'], D)).toThrow(/--encoding must be one of f32, f16-i8/);
  });

  it('refuses unknown options, missing values and bad numbers', () => {
    expect(() => parseBenchArgs(['--speed', '2'], D)).toThrow(BenchError);
    expect(() => parseBenchArgs(['--seed'], D)).toThrow(BenchError);
    expect(() => parseBenchArgs(['--seed', '1.5'], D)).toThrow(BenchError);
    expect(() => parseBenchArgs(['--step-time', '-1'], D)).toThrow(BenchError);
    expect(() => parseBenchArgs(['--send-buffer', '1.5'], D)).toThrow(BenchError);
  });
});

describe('publishReport', () => {
  it('writes every file (folders included), then prints the markdown and the paths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-report-'));
    try {
      const lines: string[] = [];
      await publishReport(join(dir, 'out'), '# md', [{ path: 'a.md', text: '# md' }, { path: 'deep/b.json', text: '{}' }], performance.now(), (l) => lines.push(l));
      expect(await readFile(join(dir, 'out', 'deep', 'b.json'), 'utf8')).toBe('{}');
      expect(lines[0]).toBe('# md');
      expect(lines[1]).toContain(join(dir, 'out', 'a.md'));
      expect(lines[1]).toMatch(/\(0\.\d min\)$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
