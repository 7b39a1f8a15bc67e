import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LR, defaultRunConfig, MIN_SNAPSHOT_INTERVAL_MS, parseRunConfig, samplesPerStep } from './config';
import { ALGORITHM_NAMES, TOPOLOGY_KINDS } from './names';

/** The issues of a config that must fail, or a test failure if it parses. */
function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseRunConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parseRunConfig', () => {
  it('fills every default from an empty object', () => {
    const c = defaultRunConfig();
    expect(c.task).toBe('mnist-mlp');
    expect(c.taskOptions).toEqual({});
    expect(c.algorithm).toBe('rfast');
    expect(c.topology.kind).toBe('exponential');
    expect(c.shards).toEqual({ mode: 'iid', classesPerShard: 2, count: 8 });
    expect(c.batchSize).toBe(32);
    expect(c.blockSize).toBe(4096);
    expect(c.lossRate).toBe(0);
    expect(c.peerTimeoutMs).toBeGreaterThanOrEqual(2 * Math.max(c.telemetryIntervalMs, c.heartbeatIntervalMs));
    expect(c.runId).toBeUndefined();
  });

  it('keeps given values and defaults the rest of a nested object', () => {
    const c = parseRunConfig({ runId: 'exp-1', shards: { mode: 'noniid', count: 4 }, topology: { kind: 'kout', k: 3 }, lr: 0.1 });
    expect(c.runId).toBe('exp-1');
    expect(c.shards).toEqual({ mode: 'noniid', classesPerShard: 2, count: 4 });
    expect(c.topology).toEqual({ kind: 'kout', k: 3 });
    expect(c.lr).toBe(0.1);
    expect(c.task).toBe('mnist-mlp');
  });

  it("defaults lr to the algorithm's measured step size, and keeps a given one", () => {
    expect(parseRunConfig({}).lr).toBe(DEFAULT_LR.rfast);
    for (const algorithm of ALGORITHM_NAMES) expect(parseRunConfig({ algorithm }).lr).toBe(DEFAULT_LR[algorithm]);
    expect(parseRunConfig({ algorithm: 'osgp', lr: 0.2 }).lr).toBe(0.2);
    expect(() => parseRunConfig({ lr: 0 })).toThrow(/lr/);
  });

  it('accepts every algorithm and topology name', () => {
    for (const algorithm of ALGORITHM_NAMES) expect(parseRunConfig({ algorithm }).algorithm).toBe(algorithm);
    for (const kind of TOPOLOGY_KINDS) expect(parseRunConfig({ topology: { kind } }).topology.kind).toBe(kind);
  });

  it('does not share default arrays between parses', () => {
    const a = defaultRunConfig();
    a.iceServers.push({ urls: 'stun:x' });
    expect(defaultRunConfig().iceServers).toEqual([]);
  });

  it('reads configs from before tasks: task mnist with an mlp or cnn model names that built-in task', () => {
    expect(parseRunConfig({ task: 'mnist', model: { kind: 'mlp', hidden: [64] } })).toMatchObject({ task: 'mnist-mlp', taskOptions: { hidden: [64] } });
    expect(parseRunConfig({ model: { hidden: [32] } })).toMatchObject({ task: 'mnist-mlp', taskOptions: { hidden: [32] } });
    expect(parseRunConfig({ model: { kind: 'cnn', filters: [8], kernelSize: 3, dense: [] } })).toMatchObject({
      task: 'mnist-cnn',
      taskOptions: { filters: [8], kernelSize: 3, dense: [] },
    });
    expect(parseRunConfig({ task: 'mnist' }).task).toBe('mnist-mlp');
    // A model next to a new task id is not guessed at: it is an unknown key.
    expect(issuesOf({ task: 'char-lm', model: { hidden: [4] } }).map((i) => i.message).join()).toMatch(/model/);
    expect(issuesOf({ task: 'Not a task!' }).map((i) => i.path)).toEqual(['task']);
    expect(issuesOf({ taskOptions: { big: 'x'.repeat(5000) } }).map((i) => i.path)).toEqual(['taskOptions']);
  });

  it('lists each invalid field with its path', () => {
    const issues = issuesOf({ lr: -1, shards: { count: 0, mode: 'weird' }, taskOptions: [1], algorithm: 'sgd' });
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual(['algorithm', 'lr', 'shards.count', 'shards.mode', 'taskOptions']);
    for (const i of issues) expect(i.message.length).toBeGreaterThan(0);
  });

  it('names every issue in the error message', () => {
    try {
      parseRunConfig({ batchSize: 1.5, lossRate: 2 });
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('batchSize');
      expect(msg).toContain('lossRate');
    }
  });

  it('rejects unknown keys (typos) at any depth', () => {
    expect(issuesOf({ learningRate: 0.1 }).map((i) => i.path)).toEqual(['']);
    expect(issuesOf({ topology: { knd: 'ring' } }).map((i) => i.path)).toEqual(['topology']);
  });

  it('rejects non-finite numbers and non-object input', () => {
    expect(issuesOf({ lr: Infinity }).map((i) => i.path)).toEqual(['lr']);
    expect(issuesOf({ lr: NaN }).map((i) => i.path)).toEqual(['lr']);
    expect(issuesOf(null)[0].path).toBe('');
    expect(issuesOf('rfast')[0].path).toBe('');
    expect(issuesOf([1, 2])[0].path).toBe('');
  });

  it('rejects a peer time-out shorter than two telemetry intervals', () => {
    const issues = issuesOf({ telemetryIntervalMs: 3000, peerTimeoutMs: 5000 });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('peerTimeoutMs');
    expect(issues[0].message).toContain('6000');
    expect(parseRunConfig({ telemetryIntervalMs: 2500, peerTimeoutMs: 5000 }).peerTimeoutMs).toBe(5000);
  });

  it('bounds the topology options', () => {
    expect(issuesOf({ topology: { kind: 'kout', k: -1 } }).map((i) => i.path)).toEqual(['topology.k']);
    expect(issuesOf({ topology: { kind: 'tree', branching: 0 } }).map((i) => i.path)).toEqual(['topology.branching']);
  });

  it('bounds the block size to what one WebRTC message can carry as float64', () => {
    expect(issuesOf({ blockSize: 16_385 }).map((i) => i.path)).toEqual(['blockSize']);
    expect(parseRunConfig({ blockSize: 16_384 }).blockSize * 8).toBeLessThan(256 * 1024);
  });

  it('validates run ids and ICE servers', () => {
    expect(issuesOf({ runId: '../etc' }).map((i) => i.path)).toEqual(['runId']);
    expect(parseRunConfig({ iceServers: [{ urls: 'stun:localhost:3478' }] }).iceServers).toHaveLength(1);
    expect(issuesOf({ iceServers: [{ urls: [] }] }).map((i) => i.path)).toEqual(['iceServers[0].urls']);
  });

  it('counts a step as innerSteps minibatches: 1 and a batch by default, refuses 0 and more than 64', () => {
    expect(samplesPerStep(defaultRunConfig())).toBe(32);
    expect(samplesPerStep(parseRunConfig({ batchSize: 16, innerSteps: 3 }))).toBe(48);
    expect(() => parseRunConfig({ innerSteps: 0 })).toThrow(/innerSteps/);
    expect(() => parseRunConfig({ innerSteps: 65 })).toThrow(/innerSteps/);
  });

  it('takes snapshots every 10 s by default; 0 turns them off, anything under a second is refused', () => {
    expect(defaultRunConfig().snapshotIntervalMs).toBe(10_000);
    expect(parseRunConfig({ snapshotIntervalMs: 0 }).snapshotIntervalMs).toBe(0);
    expect(parseRunConfig({ snapshotIntervalMs: MIN_SNAPSHOT_INTERVAL_MS }).snapshotIntervalMs).toBe(MIN_SNAPSHOT_INTERVAL_MS);
    expect(issuesOf({ snapshotIntervalMs: 500 }).map((i) => i.path)).toEqual(['snapshotIntervalMs']);
    expect(issuesOf({ snapshotIntervalMs: -1 }).map((i) => i.path)).toEqual(['snapshotIntervalMs']);
  });
});

describe('network and algorithm options', () => {
  it('takes a named link profile or a shape; loopback (unshaped) by default', () => {
    expect(parseRunConfig({}).network).toEqual({ uplinkBytesPerSec: null, latencyMs: 0 });
    expect(parseRunConfig({ network: 'home' }).network).toEqual({ uplinkBytesPerSec: 2_500_000, latencyMs: 20 });
    expect(parseRunConfig({ network: { uplinkBytesPerSec: 1e6 } }).network).toEqual({ uplinkBytesPerSec: 1e6, latencyMs: 0 });
    for (const bad of ['dialup', { uplinkBytesPerSec: 0 }, { latencyMs: -1 }, { latencyMs: 1e5 }, { rate: 1 }]) {
      expect(() => parseRunConfig({ network: bad })).toThrow(/network/);
    }
  });

  it('accepts an option only for the algorithm that reads it, within its bounds', () => {
    expect(parseRunConfig({ algorithm: 'rfast', algorithmOptions: { encoding: 'i8' } }).algorithmOptions).toEqual({ encoding: 'i8' });
    expect(parseRunConfig({ algorithm: 'osgp', algorithmOptions: { tau: 8 } }).algorithmOptions).toEqual({ tau: 8 });
    expect(issuesOf({ algorithm: 'rfast', algorithmOptions: { tau: 8 } })[0]).toMatchObject({ path: 'algorithmOptions.tau', message: "rfast has no option 'tau'" });
    expect(() => parseRunConfig({ algorithm: 'rfast', algorithmOptions: { encoding: 'f8' } })).toThrow(/encoding/);
    expect(() => parseRunConfig({ algorithm: 'gossip', algorithmOptions: { fanout: 0 } })).toThrow(/fanout/);
    expect(() => parseRunConfig({ algorithmOptions: { nonsense: 1 } })).toThrow(/nonsense/);
  });

  it('knows solo, whose default step comes from its descriptor', () => {
    expect(parseRunConfig({ algorithm: 'solo' }).lr).toBe(DEFAULT_LR.solo);
  });
});
