import { afterEach, describe, expect, it } from 'vitest';
import { parseRunConfig, type WelcomePayload } from '@starling/protocol';
import { BackendError, type BackendReport } from '@starling/training';
import type { Compute, Training, TrainingRequest } from './compute';
import { PeerRuntime } from './runtime';
import type { WrtcImpl } from './webrtc-transport';
import { TINY_TASK } from './tiny-task.fixture';
import { fakeSignaling, until, type FakeSignaling } from './signaling.fixture';

/**
 * A peer's start-up against a real socket.io server that welcomes every hello as a lone peer
 * (issue 14): the hello goes out while the backend check still runs, and the speed trial on the
 * run's model waits for that check. TF.js is replaced by a Compute whose check the test settles.
 */

const welcome: WelcomePayload = {
  peerId: 0,
  runId: 'start-test',
  config: parseRunConfig({ batchSize: 8, seed: 3, evalEverySteps: 0 }),
  epoch: 0,
  neighbours: { rIn: [], rOut: [], cIn: [], cOut: [], undirected: [], members: [0] },
  shard: { index: 0, count: 1, url: '/shard' },
  testUrl: '/test',
  task: TINY_TASK,
  uploadToken: 'token',
  checkpointUrl: null,
  fresh: true,
  ice: { iceServers: [], expiresAt: null },
};

/** A check the test settles, and a training that is ready at once (its gradients are zeros). */
function settledByTest(): { compute: Compute; requests: TrainingRequest[]; settle: (r: BackendReport | Error) => void } {
  let settle!: (r: BackendReport | Error) => void;
  const check = new Promise<BackendReport>((resolve, reject) => (settle = (r) => (r instanceof Error ? reject(r) : resolve(r))));
  const requests: TrainingRequest[] = [];
  const training: Training = { backendReport: undefined, gradient: async () => 0, accuracy: async () => null, dispose: async () => {} };
  const compute: Compute = {
    where: 'page',
    checkBackends: () => check,
    createTraining: async (req) => {
      requests.push(req);
      return training;
    },
    close() {},
  };
  return { compute, requests, settle };
}

// A lone peer opens no link: nothing here may build one.
const noLinks = { createPeer: () => { throw new Error('a lone peer opens no links'); }, wrtc: {} as WrtcImpl };

describe('PeerRuntime start-up', () => {
  let server: FakeSignaling | null = null;
  let runtime: PeerRuntime | null = null;
  afterEach(async () => {
    await runtime?.stop();
    runtime = null;
    server?.io.close();
    server = null;
  });

  it('says hello while its backend check runs, and times the run’s model only once the check is over', async () => {
    server = await fakeSignaling(welcome);
    const { compute, requests, settle } = settledByTest();
    runtime = new PeerRuntime({ serverUrl: server.url, compute, backends: ['webgpu', 'wasm'], ...noLinks });
    const started = runtime.start();
    await until('the hello', () => server!.hellos.length === 1);
    expect(server.hellos[0].backend).toBe('checking');
    // Welcomed, with its network up, but no trial before the check says which backends work.
    await until('the welcome', () => runtime!.status().runId === 'start-test');
    expect(requests).toEqual([]);
    expect(runtime.status().phase).toBe('selecting-backend');
    settle({ backend: 'wasm', attempts: [{ name: 'webgpu', ok: false, reason: 'no adapter' }, { name: 'wasm', ok: true, reason: 'ok' }] });
    await started;
    expect(requests.map((r) => r.backends)).toEqual([['wasm']]);
    expect(runtime.status()).toMatchObject({ backend: 'wasm', phase: 'training', runId: 'start-test' });
    expect(server.hellos).toHaveLength(1);
  });

  it('a failed backend check ends in a clear error, and the peer leaves the run it had joined', async () => {
    server = await fakeSignaling(welcome);
    const { compute, requests, settle } = settledByTest();
    runtime = new PeerRuntime({ serverUrl: server.url, compute, backends: ['wasm'], ...noLinks });
    const started = runtime.start();
    await until('the hello', () => server!.hellos.length === 1);
    settle(new BackendError('no usable TF.js backend (wasm: failed to compile)', [{ name: 'wasm', ok: false, reason: 'failed to compile' }]));
    await started;
    expect(runtime.status().phase).toBe('error');
    expect(runtime.status().error?.code).toBe('no-backend');
    await until('the peer to leave', () => server!.disconnects() === 1);
    expect(requests).toEqual([]);
  });
});
