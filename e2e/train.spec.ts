import { expect, test } from '@playwright/test';
import type { PeersPayload, RunConfigInput, RunsResponse } from '@starling/protocol';
import { WEBGPU_ARGS } from './support/chromium';
import { MLP64, RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { IndependentEvaluator } from './support/evaluate';
import { startServer, type TestServer } from './support/server';
import { closeAll, joinVolunteer, modelOf, stampedModelOf, status, waitFor, type Volunteer } from './support/swarm';

/**
 * The product's main path with real parts only: the real server, real Chromium tabs training with
 * TF.js, real WebRTC between them, R-FAST gossip over the lossy channel. Accuracy is measured here,
 * in Node, on the full 10,000-image test set from each tab's raw parameters.
 */

/** Bound for reaching 90% in every tab (4 tabs share 2 CPU cores in CI). */
const TIME_TO_90_MS = 240_000;
const TARGET = 0.9;

const RUN: RunConfigInput = RFAST_MNIST_RUN;

const env = useSpecEnvironment(WEBGPU_ARGS);
/** Test images of the quick check before a full score (waitForAccuracy). */
const QUICK_IMAGES = 1000;
let quick: IndependentEvaluator | null = null;
test.afterAll(async () => {
  await quick?.dispose();
  quick = null;
});
let server: TestServer | null = null;
let tabs: Volunteer[] = [];

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus && server) console.error(`server log:\n${server.log().slice(-4000)}`);
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
});

async function openTabs(n: number, query = '?backends=wasm,cpu'): Promise<Volunteer[]> {
  const out: Volunteer[] = [];
  for (let i = 0; i < n; i++) out.push(await joinVolunteer(env.browser, server!.url, `tab${i}`, query));
  return out;
}

/**
 * Every tab's model scored independently; resolves when all reach the target. The copies of a round
 * are taken together and stamped in their tabs, scored first on QUICK_IMAGES test images and, once
 * every quick score reaches the target, on the full set; the time is the newest stamp of the first
 * round that passes. With four busy tabs on two cores a round that scored four copies on the full
 * set took 23-35 s in CI, and timing the round's end counted that delay as training time.
 */
async function waitForAccuracy(vs: Volunteer[], target: number, timeoutMs: number): Promise<{ ms: number; wallMs: number; acc: number[]; steps0: number[] }> {
  const t0 = Date.now();
  const steps0 = (await Promise.all(vs.map(status))).map((s) => s.steps);
  quick ??= await IndependentEvaluator.create(MLP64, QUICK_IMAGES);
  const q = quick;
  let stampedAt = t0;
  const acc = await waitFor(`all tabs >= ${target * 100}% test accuracy`, timeoutMs, async () => {
    const readFrom = Date.now();
    const copies = await Promise.all(vs.map(stampedModelOf));
    const scoreFrom = Date.now();
    const quickScores: number[] = [];
    for (const c of copies) quickScores.push(await q.accuracy(c.model));
    const scores: number[] = [];
    if (quickScores.every((a) => a >= target)) for (const c of copies) scores.push(await env.evaluator.accuracy(c.model));
    const ss = await Promise.all(vs.map(status));
    const at = Math.max(...copies.map((c) => c.at));
    console.log(
      `t=${((at - t0) / 1000).toFixed(1)}s accuracy ${(scores.length > 0 ? scores : quickScores).map((a) => a.toFixed(3)).join(' ')}${scores.length > 0 ? '' : ` (on ${q.count} images)`} ` +
        `steps ${ss.map((s) => s.steps).join(' ')} compute/comm/blocked s ${ss.map((s) => `${(s.computeMs / 1000).toFixed(0)}/${(s.commMs / 1000).toFixed(0)}/${(s.blockedMs / 1000).toFixed(0)}`).join(' ')} ` +
        `(read ${((scoreFrom - readFrom) / 1000).toFixed(1)} s, scored ${((Date.now() - scoreFrom) / 1000).toFixed(1)} s)`,
    );
    if (scores.length === 0 || !scores.every((a) => a >= target)) return null;
    stampedAt = at;
    return scores;
  }, 1000);
  // wallMs: until the pass was seen, for rates over the steps counted until then.
  return { ms: stampedAt - t0, wallMs: Date.now() - t0, acc, steps0 };
}

/** Prints the figures the closing note needs: rates over the measured window, traffic, time split. */
async function report(vs: Volunteer[], label: string, elapsedMs: number, steps0: number[]): Promise<void> {
  for (const [i, v] of vs.entries()) {
    const s = await status(v);
    const bytesPerStep = s.steps > 0 ? Math.round(s.bytesSent / s.steps) : 0;
    const computeShare = s.computeMs / Math.max(1, s.computeMs + s.commMs + s.blockedMs);
    console.log(
      `[${label}] ${v.label} backend=${s.backend} kernels=${s.kernels} steps=${s.steps} steps/s=${(((s.steps - steps0[i]) * 1000) / elapsedMs).toFixed(2)} ` +
        `bytes/step=${bytesPerStep} compute-share=${computeShare.toFixed(2)} framesLost=${s.framesLost} ` +
        `injectedDrops=${s.injectedDrops} skipped=${s.backpressureSkips} rejected=${s.framesRejected}`,
    );
  }
}

test('four tabs train MNIST with R-FAST to 90% test accuracy', async () => {
  server = await startServer({ ...RUN, runId: 'e2e-clean' });
  tabs = await openTabs(4);
  await waitFor('4 tabs training with open links', 90_000, async () => {
    const ss = await Promise.all(tabs.map(status));
    return ss.every((s) => s.phase === 'training' && s.steps > 0 && s.neighboursOpen >= 1) ? ss : null;
  });
  const { ms, wallMs, acc, steps0 } = await waitForAccuracy(tabs, TARGET, TIME_TO_90_MS);
  console.log(`time to 90% without loss: ${(ms / 1000).toFixed(1)} s, accuracies ${acc.join(', ')}`);
  await report(tabs, 'clean', wallMs, steps0);
  for (const s of await Promise.all(tabs.map(status))) {
    expect(s.framesRejected).toBe(0);
    expect(s.framesReceived).toBeGreaterThan(0);
    // Chromium runs WebAssembly SIMD; 'js' here would mean the kernel module failed to load.
    expect(s.kernels).toBe('simd');
  }
});

test('with 30% injected loss on the unreliable channel every tab still reaches 90%', async () => {
  server = await startServer({ ...RUN, runId: 'e2e-lossy', lossRate: 0.3 });
  tabs = await openTabs(4);
  const { ms, wallMs, steps0 } = await waitForAccuracy(tabs, TARGET, TIME_TO_90_MS);
  console.log(`time to 90% with 30% loss: ${(ms / 1000).toFixed(1)} s`);
  await report(tabs, 'lossy', wallMs, steps0);
  const ss = await Promise.all(tabs.map(status));
  // The loss really happened: about 30% of unreliable frames were dropped on purpose (reliable
  // frames are never dropped, so they are not in the ratio: with them it fell to 0.199 once)...
  const dropped = ss.reduce((a, s) => a + s.injectedDrops, 0);
  const unreliable = ss.reduce((a, s) => a + s.unreliableSent, 0);
  console.log(`injected drops ${dropped} of ${unreliable} unreliable frames (${((100 * dropped) / unreliable).toFixed(1)}%)`);
  expect(dropped / unreliable).toBeGreaterThan(0.25);
  expect(dropped / unreliable).toBeLessThan(0.35);
  // ...and the receivers saw it as lost frames.
  expect(ss.reduce((a, s) => a + s.framesLost, 0)).toBeGreaterThan(0);
});

test('with two inner steps per R-FAST step every tab reaches 90%, and the server counts both minibatches of a step', async () => {
  server = await startServer({ ...RUN, runId: 'e2e-inner-steps', innerSteps: 2 });
  tabs = await openTabs(4);
  const { ms, wallMs, steps0 } = await waitForAccuracy(tabs, TARGET, TIME_TO_90_MS);
  console.log(`time to 90% with 2 inner steps: ${(ms / 1000).toFixed(1)} s`);
  await report(tabs, 'inner-steps', wallMs, steps0);
  const steps = (await Promise.all(tabs.map(status))).reduce((a, s) => a + s.steps, 0);
  // Counted from the tabs' telemetry: more samples than one minibatch per step means the server took
  // the reports of two-minibatch steps as plausible instead of refusing them.
  const counted = await waitFor('the server to count two minibatches per step', 20_000, async () => {
    const { runs } = (await (await fetch(`${server!.url}/api/runs`)).json()) as RunsResponse;
    const run = runs.find((r) => r.runId === 'e2e-inner-steps');
    return run && run.totalSamples > 1.5 * RUN.batchSize! * steps ? run.totalSamples : null;
  }, 500);
  console.log(`server counted ${counted} samples for ${steps} steps`);
  const { peers } = (await (await fetch(`${server.url}/api/peers`)).json()) as PeersPayload;
  expect(peers.flatMap((p) => p.flags.map((f) => f.code))).toEqual([]);
});

test('with int4 frames (encoding i4) every tab reaches 90%, and every frame crosses the wire intact', async () => {
  server = await startServer({ ...RUN, runId: 'e2e-int4', algorithmOptions: { ...RUN.algorithmOptions, encoding: 'i4' } });
  tabs = await openTabs(4);
  const { ms, wallMs, steps0 } = await waitForAccuracy(tabs, TARGET, TIME_TO_90_MS);
  console.log(`time to 90% with int4 frames: ${(ms / 1000).toFixed(1)} s`);
  await report(tabs, 'int4', wallMs, steps0);
  for (const s of await Promise.all(tabs.map(status))) {
    // A frame the wire or the receive rule could not read back (a wrong dtype, a payload that does
    // not fit its block) counts here: none may.
    expect(s.framesRejected).toBe(0);
    expect(s.framesReceived).toBeGreaterThan(0);
  }
});

test('a tab closed mid-run: the others keep stepping, the server shows three peers, accuracy keeps rising', async () => {
  server = await startServer({ ...RUN, runId: 'e2e-leave' });
  tabs = await openTabs(4);
  await waitFor('some progress', 120_000, async () => {
    const ss = await Promise.all(tabs.map(status));
    return ss.every((s) => s.steps >= 50) ? ss : null;
  });
  const survivors = tabs.slice(1);
  const before = await Promise.all(survivors.map(async (v) => {
    const s = await status(v);
    return { steps: s.steps, epoch: s.epoch, acc: await env.evaluator.accuracy(await modelOf(v)) };
  }));
  const closedAt = Date.now();
  await tabs[0].context.close();
  const seen = await waitFor('server lists 3 live peers', 10_000, async () => {
    const r = await fetch(`${server!.url}/api/peers`);
    const body = (await r.json()) as { peers: { state: string }[] };
    const live = body.peers.filter((p) => p.state === 'live').length;
    return live === 3 ? Date.now() - closedAt : null;
  }, 250);
  console.log(`server showed 3 live peers ${seen} ms after the tab closed`);
  // R-FAST: the leaver's neighbours (here all three) unwind what they exchanged with it within the
  // epoch, with no tracker reset, and keep improving.
  const after = await waitFor('survivors improve after the departure', 120_000, async () => {
    const now = await Promise.all(survivors.map(async (v) => ({ s: await status(v), acc: await env.evaluator.accuracy(await modelOf(v)) })));
    const ok = now.every((n, i) => n.s.steps > before[i].steps + 50 && n.acc > before[i].acc);
    return ok ? now : null;
  }, 3000);
  for (const [i, a] of after.entries()) {
    console.log(`survivor ${i}: steps ${before[i].steps} -> ${a.s.steps}, accuracy ${before[i].acc.toFixed(3)} -> ${a.acc.toFixed(3)}, epoch ${a.s.epoch}`);
    expect(a.s.epoch).toBe(before[i].epoch);
    expect(a.s.epochGaps).toBe(0);
    expect(a.s.members).toBe(3);
  }
});

test('a tab on the WebGPU backend trains and its steps count', async () => {
  server = await startServer({ ...RUN, runId: 'e2e-webgpu' });
  const gpu = await joinVolunteer(env.browser, server.url, 'webgpu', '?backends=webgpu');
  tabs = [gpu, ...(await openTabs(2))];
  const s = await waitFor('the WebGPU tab steps', 120_000, async () => {
    const st = await status(gpu);
    if (st.phase === 'error') throw new Error(`WebGPU tab failed: ${st.error?.message}`);
    return st.steps >= 20 ? st : null;
  });
  expect(s.backend).toBe('webgpu');
  // Its steps reach the server's telemetry, so they count for the run.
  const row = await waitFor('server telemetry for the WebGPU tab', 15_000, async () => {
    const body = (await (await fetch(`${server!.url}/api/peers`)).json()) as { peers: { id: number; backend: string; steps: number }[] };
    const p = body.peers.find((q) => q.id === s.peerId);
    return p && p.steps > 0 ? p : null;
  }, 500);
  expect(row.backend).toBe('webgpu');
  // It is a full member of the swarm: it mixes the others' models into its own (software WebGPU
  // is about 10x slower than wasm here, so its own steps alone would take minutes).
  const acc = await waitFor('the WebGPU tab to reach 80% with the swarm', 120_000, async () => {
    const a = await env.evaluator.accuracy(await modelOf(gpu));
    return a >= 0.8 ? a : null;
  }, 2000);
  const end = await status(gpu);
  console.log(`WebGPU tab: ${end.steps} steps, device '${end.device}', accuracy ${acc.toFixed(3)}, frames received ${end.framesReceived}`);
  expect(end.steps).toBeGreaterThan(s.steps);
  expect(end.framesReceived).toBeGreaterThan(0);
});
