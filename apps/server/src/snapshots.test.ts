import * as tf from '@tensorflow/tfjs';
import { readIdxSplit } from '@starling/tasks/node';
import type { DataSet } from '@starling/tasks';
import { CHECKPOINT_HEADERS, pathTo, type TaskSamples, type Evaluation, type EvaluationsResponse, type HttpErrorBody, type RunsResponse } from '@starling/protocol';
import { initialParams, Trainer, type Evaluation as TrainerEvaluation, type ModelSpec } from '@starling/training';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Splits } from './datasets';
import { bodyOf, nextEvent, TEST_ADMIN_TOKEN, TestSession, until } from './test-support';

/**
 * Server-side evaluation on real MNIST: uploads from a peer, the evaluation broadcast to
 * observers, the checkpoint and the TF.js model download. The model is small (784-32-10) and the
 * test set cut to 2000 images, so the whole file takes a few seconds.
 */

const SPEC: ModelSpec = { kind: 'mlp', hidden: [32] };
const CONFIG = { task: 'mnist-mlp', taskOptions: { hidden: [32] }, seed: 3, snapshotIntervalMs: 1000 };
const INPUT_SIZE = 784;
const TEST_COUNT = 2000;
const TUNING = { minEvalIntervalMs: 0, checkpointMinIntervalMs: 0, evalTestCount: TEST_COUNT };

let splits: Splits;
let trainer: Trainer;
/** x0 of the run, and the same model after 200 SGD steps. */
let x0: Float32Array;
let trained: Float32Array;
let trainedTruth: TrainerEvaluation;

/** Plain minibatch SGD over the first `steps * 32` examples of the training set, each once. */
async function train(x: Float32Array, set: DataSet, steps: number, lr: number): Promise<void> {
  const batch = 32;
  const xs = new Float32Array(steps * batch * INPUT_SIZE);
  for (let i = 0; i < xs.length; i++) xs[i] = set.features[i] / 255;
  const g = new Float32Array(x.length);
  for (let step = 0; step < steps; step++) {
    const from = step * batch;
    await trainer.gradient(x, xs.subarray(from * INPUT_SIZE, (from + batch) * INPUT_SIZE), set.targets!.subarray(from, from + batch), batch, g);
    for (let i = 0; i < x.length; i++) x[i] -= lr * g[i];
  }
}

beforeAll(async () => {
  const [trainSet, test] = await Promise.all([readIdxSplit('train'), readIdxSplit('test')]);
  splits = { train: trainSet, test };
  trainer = await Trainer.create(SPEC, { backends: ['wasm', 'cpu'] });
  x0 = initialParams(SPEC, CONFIG.seed);
  trained = x0.slice();
  await train(trained, trainSet, 200, 0.2);
  trainedTruth = await trainer.evaluate(trained, test.features, test.targets!, TEST_COUNT);
}, 60_000);
afterAll(() => trainer?.dispose());

const session = new TestSession();
afterEach(() => session.cleanup());

function upload(url: string, runId: string, peer: { peerId: number; uploadToken: string }, steps: number, params: Float32Array) {
  return fetch(`${url}${pathTo('snapshots', { runId })}`, {
    method: 'POST',
    headers: { 'x-starling-peer': String(peer.peerId), 'x-starling-token': peer.uploadToken, 'x-starling-steps': String(steps) },
    body: bodyOf(params),
  });
}

describe('snapshot evaluation', () => {
  it('evaluates uploads on the server and tells observers whose snapshot it was and how old', async () => {
    let now = 1_000_000;
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // The data arrives only when released, so the first snapshot waits a known time.
    const s = await session.start(CONFIG, { clock: () => now, tuning: TUNING, loader: async () => (await gate, splits) });
    const obs = await session.observer(s.url);
    const { socket, welcome } = await session.peer(s.url);
    expect(welcome.checkpointUrl).toBeNull();
    expect(welcome.uploadToken.length).toBeGreaterThanOrEqual(20);
    // The first report is the peer's baseline; the 640 samples after it count.
    for (const [steps, samples] of [[0, 0], [20, 640]]) {
      socket.emit('telemetry', {
        steps, samples, loss: 2.3, stepsPerSec: 0, backend: 'wasm', bytesSent: 0, bytesReceived: 0, framesSent: 0,
        framesReceived: 0, framesLost: 0, framesRejected: 0, computeMs: 0, commMs: 0, epoch: welcome.epoch, neighbours: 0,
      });
    }
    await until(() => s.run.counters.telemetryReports === 2, 'telemetry');
    const runId = welcome.runId;

    // x0: chance level.
    const first = nextEvent<Evaluation>(obs.socket, 'evaluation', undefined, 20_000);
    const res = await upload(s.url, runId, welcome, 0, x0);
    expect(res.status).toBe(202);
    now += 1234;
    release();
    const e0 = await first;
    expect(e0).toMatchObject({ runId, peerId: welcome.peerId, snapshotSteps: 0, snapshotAgeMs: 1234, samples: 640, testCount: TEST_COUNT, verdict: 'checkpoint', reason: null });
    expect(e0.paramNorm).toBeCloseTo(Math.hypot(...x0), 2);
    expect(e0.accuracy).toBeGreaterThan(0.03);
    expect(e0.accuracy).toBeLessThan(0.2);
    expect(e0.evalMs).toBeGreaterThan(0);

    // The trained model: what the Trainer measures on the same images, > 80%.
    now += 600; // past the rate limit (snapshotIntervalMs / 2)
    const second = nextEvent<Evaluation>(obs.socket, 'evaluation', undefined, 20_000);
    expect((await upload(s.url, runId, welcome, 400, trained)).status).toBe(202);
    const e1 = await second;
    expect(e1.snapshotSteps).toBe(400);
    expect(e1.accuracy).toBeGreaterThan(0.8);
    expect(e1.accuracy).toBe(trainedTruth.accuracy);
    expect(e1.loss).toBeCloseTo(trainedTruth.loss, 4);
    expect(e1.verdict).toBe('checkpoint');

    // Stored, listed, and the run summary shows them.
    const { evaluations } = (await (await fetch(`${s.url}${pathTo('evaluations', { runId })}`)).json()) as EvaluationsResponse;
    expect(evaluations).toEqual([e0, e1]);
    const { runs } = (await (await fetch(`${s.url}/api/runs`)).json()) as RunsResponse;
    expect(runs[0]).toMatchObject({ runId, finalAccuracy: e1.accuracy, bestAccuracy: e1.accuracy, finalLoss: e1.loss });

    // The latest checkpoint is the trained snapshot, byte for byte, for the next joiner.
    const next = await session.peer(s.url);
    expect(next.welcome.checkpointUrl).toBe(pathTo('checkpoint', { runId }));
    const cp = await fetch(`${s.url}${next.welcome.checkpointUrl}`);
    expect(cp.headers.get(CHECKPOINT_HEADERS.steps)).toBe('400');
    expect(cp.headers.get(CHECKPOINT_HEADERS.peer)).toBe(String(welcome.peerId));
    expect(cp.headers.get(CHECKPOINT_HEADERS.time)).toBe(String(now));
    expect(new Uint8Array(await cp.arrayBuffer())).toEqual(new Uint8Array(trained.buffer));

    // Samples for the dashboard: the first test images, their labels and the trained model's guesses.
    let samples: TaskSamples | null = null;
    for (let tries = 0; samples?.snapshotSteps !== 400; tries++) {
      if (tries > 200) throw new Error('no samples of the trained snapshot');
      const r = await fetch(`${s.url}${pathTo('samples', { runId })}`);
      samples = r.status === 200 ? ((await r.json()) as TaskSamples) : null;
      if (samples?.snapshotSteps !== 400) await new Promise((done) => setTimeout(done, 25));
    }
    expect(samples.text).toBeNull();
    expect(samples.images!.shape).toEqual([28, 28, 1]);
    expect(samples.images!.items).toHaveLength(8);
    const firstImage = samples.images!.items[0];
    expect(Buffer.from(firstImage.pixels, "base64")).toEqual(Buffer.from(splits.test.features.subarray(0, 784)));
    expect(firstImage.label).toBe(String(splits.test.targets![0]));
    expect(samples.images!.items.filter((i) => i.label === i.predicted).length).toBeGreaterThanOrEqual(5);
  });

  it('rejects a much worse snapshot as a checkpoint, with the reason, and flags its peer', async () => {
    let now = 2_000_000;
    const s = await session.start(CONFIG, { clock: () => now, tuning: TUNING, splits });
    const obs = await session.observer(s.url);
    const { welcome } = await session.peer(s.url);
    for (const [params, steps] of [[trained, 400], [x0, 401]] as const) {
      const e = nextEvent<Evaluation>(obs.socket, 'evaluation', undefined, 20_000);
      expect((await upload(s.url, welcome.runId, welcome, steps, params)).status).toBe(202);
      await e;
      now += 1000;
    }
    expect(s.store.checkpoints.latestMeta(welcome.runId)?.steps).toBe(400);
    expect(s.run.counters).toMatchObject({ evaluations: 2, checkpointsSaved: 1, checkpointsSkipped: 0, snapshotsRejected: 1 });
    const [kept, refused] = s.store.evaluations.list(welcome.runId, 10);
    expect(kept.verdict).toBe('checkpoint');
    expect(refused).toMatchObject({ verdict: 'rejected', reason: expect.stringMatching(/far above the run's recent best/) });
    expect(s.run.peers.flags(welcome.peerId)).toMatchObject([{ code: 'rejected-snapshot', count: 1, message: expect.stringContaining('step 401') }]);
  });

  describe('poisoning (issue 13)', () => {
    /** Uploads each snapshot in turn (1 s apart) and returns their evaluations. */
    async function uploadAll(snapshots: [Float32Array, number][], start: number) {
      let now = start;
      const s = await session.start(CONFIG, { clock: () => now, tuning: TUNING, splits });
      const obs = await session.observer(s.url);
      const p = await session.peer(s.url);
      const out: Evaluation[] = [];
      for (const [params, steps] of snapshots) {
        const e = nextEvent<Evaluation>(obs.socket, 'evaluation', undefined, 20_000);
        expect((await upload(s.url, p.welcome.runId, p.welcome, steps, params)).status).toBe(202);
        out.push(await e);
        now += 1000;
      }
      return { s, p, out };
    }
    const random = () => {
      const a = new Float32Array(x0.length);
      for (let i = 0; i < a.length; i++) a[i] = (Math.random() * 2 - 1) * 1000;
      return a;
    };
    /** The trained model with its last layer (kernel and bias) scaled by 1e6. */
    const lastLayerScaled = () => {
      const a = trained.slice();
      const out = 32 * 10 + 10;
      for (let i = a.length - out; i < a.length; i++) a[i] *= 1e6;
      return a;
    };

    it('never makes a random +-1000 first snapshot the checkpoint, for joiners or for download', async () => {
      const { s, p, out } = await uploadAll([[random(), 5], [trained, 6]], 5_000_000);
      expect(out[0]).toMatchObject({ verdict: 'rejected', reason: expect.stringMatching(/parameter norm .* above 20 x the initial model/) });
      expect(out[0].loss === null || out[0].loss > 1000).toBe(true);
      expect(s.run.peers.summaries().find((r) => r.id === p.welcome.peerId)?.flags).toMatchObject([{ code: 'rejected-snapshot' }]);
      // The honest snapshot after it is the checkpoint: the garbage did not become a baseline.
      expect(out[1].verdict).toBe('checkpoint');
      expect(s.store.checkpoints.latestMeta(p.welcome.runId)?.steps).toBe(6);
    });

    it('hands joiners and the download nothing while only a poisoned snapshot exists', async () => {
      const { s, p } = await uploadAll([[random(), 5]], 5_500_000);
      expect(s.store.checkpoints.latestMeta(p.welcome.runId)).toBeUndefined();
      expect((await session.peer(s.url)).welcome.checkpointUrl).toBeNull();
      expect((await fetch(`${s.url}${pathTo('modelJson', { runId: p.welcome.runId })}?token=${TEST_ADMIN_TOKEN}`)).status).toBe(404);
    });

    it('rejects the trained checkpoint with its last layer scaled by 1e6 (accuracy kept, loss and norm not)', async () => {
      const { s, p, out } = await uploadAll([[trained, 400], [lastLayerScaled(), 401]], 6_000_000);
      expect(out[0].verdict).toBe('checkpoint');
      expect(out[1].accuracy).toBeGreaterThan(0.8); // the argmax barely changes...
      expect(out[1]).toMatchObject({ verdict: 'rejected' }); // ...but the model is garbage to train on
      expect(out[1].maxAbs).toBeGreaterThan(1e5);
      expect(s.store.checkpoints.latestMeta(p.welcome.runId)?.steps).toBe(400);
      // As a first snapshot it is refused too (by the initial-norm bound and chance-level loss).
      const first = await uploadAll([[lastLayerScaled(), 401]], 7_000_000);
      expect(first.out[0].verdict).toBe('rejected');
      expect(first.s.store.checkpoints.latestMeta(first.p.welcome.runId)).toBeUndefined();
    });

    it('stores an evaluation whose loss is not finite, as rejected, instead of losing it', async () => {
      const huge = x0.slice().fill(1e38);
      const { s, p, out } = await uploadAll([[huge, 9]], 8_000_000);
      expect(out[0]).toMatchObject({ verdict: 'rejected', loss: null, reason: expect.stringMatching(/test loss is (NaN|Infinity)/) });
      const stored = s.store.evaluations.list(p.welcome.runId, 10);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ verdict: 'rejected', loss: null });
      expect(s.run.counters.storeErrors).toBe(0);
      const { runs } = (await (await fetch(`${s.url}/api/runs`)).json()) as RunsResponse;
      expect(runs[0]).toMatchObject({ finalAccuracy: null, finalLoss: null });
    });
  });

  it('exports the checkpoint as a TF.js model that predicts exactly like the flat vector', async () => {
    const now = 3_000_000;
    const s = await session.start(CONFIG, { clock: () => now, tuning: TUNING, splits });
    const obs = await session.observer(s.url);
    const { welcome } = await session.peer(s.url);
    const runId = welcome.runId;
    const modelUrl = `${s.url}${pathTo('modelJson', { runId })}`;
    expect((await fetch(`${modelUrl}?token=${TEST_ADMIN_TOKEN}`)).status).toBe(404); // no checkpoint yet
    const e = nextEvent<Evaluation>(obs.socket, 'evaluation', undefined, 20_000);
    await upload(s.url, runId, welcome, 400, trained);
    await e;

    expect((await fetch(modelUrl)).status).toBe(401);
    expect((await fetch(`${modelUrl}?token=wrong-wrong-wrong-wrong`)).status).toBe(403);
    expect((await fetch(`${s.url}${pathTo('modelWeights', { runId })}`)).status).toBe(401);
    const viaHeader = await fetch(`${s.url}${pathTo('modelWeights', { runId })}`, { headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(new Uint8Array(await viaHeader.arrayBuffer())).toEqual(new Uint8Array(trained.buffer));

    // What a user does: tf.loadLayersModel(url); TF.js carries ?token= over to weights.bin.
    const loaded = await tf.loadLayersModel(`${modelUrl}?token=${TEST_ADMIN_TOKEN}`);
    const n = 256;
    const pixels = (count: number) => tf.tensor2d(splits.test.features.subarray(0, count * INPUT_SIZE), [count, INPUT_SIZE], 'float32').div(255);
    try {
      await trainer.setParams(trained);
      const [got, want] = tf.tidy(() => {
        const input = pixels(n);
        return [(loaded.predict(input) as tf.Tensor).dataSync(), (trainer.model.predict(input) as tf.Tensor).dataSync()];
      });
      expect(got.length).toBe(n * 10);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
      expect(maxDiff).toBeLessThan(1e-4);
      // And the loaded model's accuracy is the server's figure.
      const predicted = tf.tidy(() => (loaded.predict(pixels(TEST_COUNT)) as tf.Tensor).argMax(1).dataSync());
      let hits = 0;
      for (let i = 0; i < TEST_COUNT; i++) if (predicted[i] === splits.test.targets![i]) hits++;
      expect(hits / TEST_COUNT).toBe(trainedTruth.accuracy);
    } finally {
      loaded.dispose();
    }
  });
});

describe('bad uploads', () => {
  it('refuses and counts every kind of bad snapshot, and keeps serving', async () => {
    let now = 4_000_000;
    const s = await session.start(CONFIG, { clock: () => now, tuning: { ...TUNING, maxSnapshotBytes: 200_000 }, splits });
    const { welcome } = await session.peer(s.url);
    const other = await session.peer(s.url);
    const runId = welcome.runId;
    const dim = x0.length;
    const post = (headers: Record<string, string>, body: Uint8Array, path = pathTo('snapshots', { runId })) =>
      fetch(`${s.url}${path}`, { method: 'POST', headers, body: bodyOf(body) });
    const h = (over: Record<string, string> = {}) => ({
      'x-starling-peer': String(welcome.peerId),
      'x-starling-token': welcome.uploadToken,
      'x-starling-steps': '5',
      ...over,
    });
    const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const withValue = (i: number, v: number) => {
      const a = x0.slice();
      a[i] = v;
      return bytes(a);
    };
    const cases: [string, () => Promise<Response>, number, HttpErrorBody['error']['code']][] = [
      ['too short', () => post(h(), bytes(x0.subarray(1))), 400, 'bad-snapshot'],
      ['too long', () => post(h(), new Uint8Array(dim * 4 + 4)), 400, 'bad-snapshot'],
      ['odd length', () => post(h(), new Uint8Array(7)), 400, 'bad-snapshot'],
      ['NaN', () => post(h(), withValue(dim - 1, NaN)), 400, 'bad-snapshot'],
      ['Infinity', () => post(h(), withValue(3, -Infinity)), 400, 'bad-snapshot'],
      ['over the size cap', () => post(h(), new Uint8Array(300_000)), 413, 'payload-too-large'],
      ['no token', () => post(h({ 'x-starling-token': '' }), bytes(x0)), 401, 'unauthorized'],
      ['wrong token', () => post(h({ 'x-starling-token': other.welcome.uploadToken }), bytes(x0)), 403, 'forbidden'],
      ['unknown peer', () => post(h({ 'x-starling-peer': '999' }), bytes(x0)), 403, 'forbidden'],
      ['bad peer header', () => post(h({ 'x-starling-peer': 'me' }), bytes(x0)), 400, 'bad-request'],
      ['bad steps header', () => post(h({ 'x-starling-steps': '-1' }), bytes(x0)), 400, 'bad-request'],
      ['unknown run', () => post(h(), bytes(x0), pathTo('snapshots', { runId: 'no-such-run' })), 404, 'unknown-run'],
    ];
    for (const [what, send, status, code] of cases) {
      const res = await send();
      expect(res.status, what).toBe(status);
      expect((await res.json()) as HttpErrorBody, what).toMatchObject({ error: { code, message: expect.any(String) } });
    }
    expect(s.run.counters.snapshotsRefused).toBe(cases.length);
    expect(s.run.counters.httpErrorsByCode['bad-snapshot']).toBe(5);
    expect(s.run.counters.snapshotsAccepted).toBe(0);

    // Refused uploads did not count against the rate limit; a good one does.
    expect((await post(h(), bytes(x0))).status).toBe(202);
    now += 100;
    const fast = await post(h(), bytes(x0));
    expect(fast.status).toBe(429);
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await post(h({ 'x-starling-peer': String(other.welcome.peerId), 'x-starling-token': other.welcome.uploadToken }), bytes(x0))).status).toBe(202);
    now += 500;
    expect((await post(h(), bytes(x0))).status).toBe(202);
    expect(s.run.counters).toMatchObject({ snapshotsAccepted: 3, snapshotsRefused: cases.length + 1 });
    // A departed peer's token stops working.
    other.socket.emit('leave', {});
    await until(() => !s.run.coordinator.has(other.welcome.peerId), 'the leave');
    now += 1000;
    const gone = await post(h({ 'x-starling-peer': String(other.welcome.peerId), 'x-starling-token': other.welcome.uploadToken }), bytes(x0));
    expect(gone.status).toBe(403);
  });
});
