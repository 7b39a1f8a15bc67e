import { describe, expect, it } from 'vitest';
import { createAlgorithm } from '@starling/core';
import { parseRunConfig, type WelcomePayload } from '@starling/protocol';
import type { Training } from './compute';
import { DEFAULT_TUNING } from './config';
import { JoinedRun } from './joined-run';
import { RunNetwork } from './run-network';
import { until } from './signaling.fixture';
import { FAKE_WRTC, fakeCreatePeer } from './webrtc.fixture';

const DIM = 3;
const LR = 0.1;

/** A solo peer alone in its run whose every gradient is 1: after t steps its model is -0.1 t everywhere. */
function soloRun(modelAverageSteps: number) {
  const config = parseRunConfig({ algorithm: 'solo', lr: LR, evalEverySteps: 10, snapshotIntervalMs: 0, modelAverageSteps });
  const evaluated: Float32Array[] = [];
  const training: Training = {
    backendReport: undefined,
    gradient: async (_x, out) => {
      out.fill(1);
      return 1;
    },
    accuracy: async (x) => {
      evaluated.push(x);
      return 0.5;
    },
    dispose: async () => {},
  };
  const placement = { epoch: 1, grows: 0, neighbours: { rIn: [], rOut: [], cIn: [], cOut: [], undirected: [], members: [0] }, members: [0] };
  const network = new RunNetwork({
    peerId: 0, config, placement, tuning: DEFAULT_TUNING, createPeer: fakeCreatePeer([]), wrtc: FAKE_WRTC, uploadCap: null,
    rtcConfig: () => ({}), lossRate: () => 0, steps: () => 0, signal: () => {}, changed: () => {},
  }, () => Date.now());
  const algo = createAlgorithm('solo', { id: 0, x0: new Float32Array(DIM), lr: LR, blockSize: config.blockSize, epoch: 1, neighbours: placement.neighbours, seed: 1 });
  const run = new JoinedRun({ welcome: { config, peerId: 0, runId: 'r', uploadToken: 't' } as unknown as WelcomePayload, network, training, algo }, {
    now: () => Date.now(), tuning: DEFAULT_TUNING, serverUrl: 'http://127.0.0.1:1', slowdown: 1,
    onStep: () => {}, onAccuracy: () => {}, onDiverged: () => {}, mark: () => {},
  });
  return { run, evaluated, stop: () => run.leave() };
}

describe('JoinedRun reports its model average', () => {
  it('evaluates the average of its recent models when modelAverageSteps is set, and trains and leaves with the latest', async () => {
    const { run, evaluated, stop } = soloRun(4);
    run.start(false);
    await until('two evaluations', () => evaluated.length >= 2);
    const kept = await stop();
    // At step 10 the model is -1.0; the average (steps 1-4 skipped, the mean of 5-8, then 1/4 of each later one) lags behind it.
    expect(evaluated[0][0]).toBeGreaterThan(-1 + 1e-3);
    expect(evaluated[0][0]).toBeLessThan(-0.5);
    expect(kept.model[0]).toBeCloseTo(-LR * kept.counters.steps, 2);
    expect(run.reported()[0]).toBeGreaterThan(kept.model[0] + 1e-3);
  });

  it('evaluates its latest model with modelAverageSteps 0', async () => {
    const { run, evaluated, stop } = soloRun(0);
    run.start(false);
    await until('an evaluation', () => evaluated.length >= 1);
    await stop();
    expect(evaluated[0][0]).toBeCloseTo(-1, 5);
  });
});

describe('JoinedRun sizes a slot algorithm\'s send budget', () => {
  it('with a target, lowers R-FAST\'s send share while its gradients get less of the time than that', async () => {
    // A clock that moves only when told: each gradient takes 10 ms and each applyGradient 10 ms, so
    // the gradients get half of the training time, below the target.
    let t = 0;
    const config = parseRunConfig({ algorithm: 'rfast', lr: LR, evalEverySteps: 0, snapshotIntervalMs: 0 });
    const training: Training = {
      backendReport: undefined,
      gradient: async (_x, out) => {
        t += 10;
        out.fill(0);
        return 1;
      },
      accuracy: async () => null,
      dispose: async () => {},
    };
    const placement = { epoch: 1, grows: 0, neighbours: { rIn: [], rOut: [], cIn: [], cOut: [], undirected: [], members: [0] }, members: [0] };
    const network = new RunNetwork({
      peerId: 0, config, placement, tuning: DEFAULT_TUNING, createPeer: fakeCreatePeer([]), wrtc: FAKE_WRTC, uploadCap: null,
      rtcConfig: () => ({}), lossRate: () => 0, steps: () => 0, signal: () => {}, changed: () => {},
    }, () => t);
    const algo = createAlgorithm('rfast', { id: 0, x0: new Float32Array(DIM), lr: LR, blockSize: config.blockSize, epoch: 1, neighbours: placement.neighbours, seed: 1 });
    const shares: number[] = [];
    const setSendShare = algo.setSendShare!.bind(algo);
    algo.setSendShare = (s) => {
      shares.push(s);
      setSendShare(s);
    };
    const applyGradient = algo.applyGradient.bind(algo);
    algo.applyGradient = (g) => {
      t += 10;
      return applyGradient(g);
    };
    const tuning = { ...DEFAULT_TUNING, sendBudget: { ...DEFAULT_TUNING.sendBudget, computeShareTarget: 0.85 } };
    const run = new JoinedRun({ welcome: { config, peerId: 0, runId: 'r', uploadToken: 't' } as unknown as WelcomePayload, network, training, algo }, {
      now: () => t, tuning, serverUrl: 'http://127.0.0.1:1', slowdown: 1,
      onStep: () => {}, onAccuracy: () => {}, onDiverged: () => {}, mark: () => {},
    });
    run.start(false);
    await until('the budget at its floor', () => run.sendBudget!.current === DEFAULT_TUNING.sendBudget.minShare);
    await run.leave();
    expect(shares.length).toBeGreaterThan(1);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeLessThan(shares[i - 1]);
    expect(shares.at(-1)).toBe(DEFAULT_TUNING.sendBudget.minShare);
    // It started from the runtime's default share (the run set none), and the status shows the budget's.
    expect(shares[0]).toBeLessThan(DEFAULT_TUNING.defaultSendShare);
    expect(run.sendShare).toBe(DEFAULT_TUNING.sendBudget.minShare);
  });

  it('has none for an algorithm without slots', () => {
    const { run } = soloRun(0);
    expect(run.sendBudget).toBeNull();
    expect(run.sendShare).toBeNull();
  });
});
