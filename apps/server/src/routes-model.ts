import type { IncomingMessage } from 'node:http';
import { CHECKPOINT_HEADERS, parseRunConfig, pathPattern, SNAPSHOT_HEADERS } from '@starling/protocol';
import { layoutOf, type ModelSpec } from '@starling/training';
import { secretsEqual } from './admin';
import { initialNormOf, type ParamStats } from './checkpoint-gate';
import type { RequestContext, Route } from './http-context';
import { consumeBody, HttpError, sendBytes, sendJson } from './http-util';
import { ModelExporter, WEIGHTS_FILE } from './model-export';
import { knownRun, requireAdmin } from './route-guards';

/**
 * Model data over HTTP: peers upload snapshots of their model (evaluated by the server), joiners
 * fetch the run's latest checkpoint, and the admin downloads it as a TF.js model. Bodies are raw
 * little-endian float32 vectors in the layout of `@starling/training`.
 */

const UINT = /^\d{1,15}$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function uploadSnapshot(ctx: RequestContext, [id]: string[]): Promise<void> {
  const { deps, req, res } = ctx;
  try {
    const runId = knownRun(ctx, id);
    const run = deps.runs.current;
    if (run.runId !== runId) throw new HttpError(409, 'conflict', `run ${runId} is not running; the current run is ${run.runId}`);
    const token = header(req, SNAPSHOT_HEADERS.token);
    if (token === undefined || token === '') throw new HttpError(401, 'unauthorized', `send the uploadToken of your welcome in '${SNAPSHOT_HEADERS.token}'`);
    const peerText = header(req, SNAPSHOT_HEADERS.peer) ?? '';
    const stepsText = header(req, SNAPSHOT_HEADERS.steps) ?? '';
    if (!UINT.test(peerText)) throw new HttpError(400, 'bad-request', `'${SNAPSHOT_HEADERS.peer}' must be your peer id`);
    if (!UINT.test(stepsText)) throw new HttpError(400, 'bad-request', `'${SNAPSHOT_HEADERS.steps}' must be a non-negative integer`);
    const peerId = Number(peerText);
    const expected = run.uploadToken(peerId);
    if (expected === undefined || !secretsEqual(token, expected)) {
      throw new HttpError(403, 'forbidden', `peer ${peerId} is not live in run ${runId} with that token`);
    }
    const interval = run.config.snapshotIntervalMs;
    if (interval === 0) throw new HttpError(409, 'snapshots-disabled', `run ${runId} takes no snapshots (snapshotIntervalMs is 0)`);
    const now = deps.clock();
    const minGap = interval * deps.tuning.snapshotRateFactor;
    const last = run.lastUploadAt(peerId);
    if (last !== undefined && now - last < minGap) {
      const wait = minGap - (now - last);
      throw new HttpError(429, 'rate-limited', `at most one snapshot per ${minGap} ms; try again in ${Math.ceil(wait)} ms`, {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    }
    // Reserved before the body arrives, so parallel uploads from one peer cannot all pass the
    // limit; given back if the body is refused (the limit is between accepted snapshots).
    run.noteUpload(peerId, now);
    const spec = run.task.model;
    let body: { params: Float32Array; stats: ParamStats };
    try {
      body = await readParams(req, layoutOf(spec).dim, deps.tuning.maxSnapshotBytes);
    } catch (e) {
      run.noteUpload(peerId, last);
      throw e;
    }
    const initialNorm = initialNormOf(spec, run.config.seed);
    deps.snapshots.accept({ runId, peerId, steps: Number(stepsText), task: run.task, ...body, initialNorm, receivedAt: deps.clock() });
    sendJson(res, 202, { accepted: true });
  } catch (e) {
    if (e instanceof HttpError) deps.runs.current.counters.snapshotsRefused++;
    throw e;
  }
}

/**
 * The body as `dim` finite float32 values with their norm and largest |value| (one pass); 400 on a
 * wrong length or NaN/Inf, 413 beyond the model's size.
 */
async function readParams(req: IncomingMessage, dim: number, maxBytes: number): Promise<{ params: Float32Array; stats: ParamStats }> {
  const expected = dim * 4;
  if (expected > maxBytes) throw new HttpError(413, 'payload-too-large', `this run's model (${expected} bytes) is above the server's snapshot limit of ${maxBytes} bytes`);
  const declared = header(req, 'content-length');
  if (declared !== undefined) {
    const n = Number(declared);
    if (n > maxBytes) throw new HttpError(413, 'payload-too-large', `body of ${declared} bytes is above the snapshot limit of ${maxBytes} bytes`);
    if (n !== expected) throw wrongLength(n, dim);
  }
  // Aligned storage for the float view; filled straight from the socket, at most `expected` bytes.
  const params = new Float32Array(dim);
  const bytes = new Uint8Array(params.buffer);
  const tooLong = () => new HttpError(413, 'payload-too-large', `body is longer than the model's ${expected} bytes (${dim} float32)`);
  const size = await consumeBody(req, expected, (chunk, at) => bytes.set(chunk, at), tooLong);
  if (size !== expected) throw wrongLength(size, dim);
  let sum = 0;
  let maxAbs = 0;
  for (let i = 0; i < dim; i++) {
    const v = params[i];
    // v - v is NaN exactly for NaN and +-Infinity.
    if (v - v !== 0) throw new HttpError(400, 'bad-snapshot', `value ${v} at index ${i}: a snapshot must be finite`);
    sum += v * v;
    const a = v < 0 ? -v : v;
    if (a > maxAbs) maxAbs = a;
  }
  return { params, stats: { norm: Math.sqrt(sum), maxAbs } };
}

function wrongLength(bytes: number, dim: number): HttpError {
  return new HttpError(400, 'bad-snapshot', `body has ${bytes} bytes; this run's model needs exactly ${dim * 4} (${dim} little-endian float32)`);
}

function sendCheckpoint(ctx: RequestContext, [id]: string[]): void {
  const runId = knownRun(ctx, id);
  const c = ctx.deps.store.checkpoints.latest(runId);
  if (c === undefined) throw new HttpError(404, 'no-checkpoint', `run ${runId} has no checkpoint yet`);
  sendBytes(ctx.res, ModelExporter.weights(c.params), ctx.head, {
    [CHECKPOINT_HEADERS.steps]: String(c.steps),
    [CHECKPOINT_HEADERS.peer]: String(c.peerId),
    [CHECKPOINT_HEADERS.time]: String(c.t),
  });
}

/** The run's spec and latest checkpoint, for the model download. */
function downloadable(ctx: RequestContext, id: string) {
  requireAdmin(ctx, true);
  const runId = knownRun(ctx, id);
  const record = ctx.deps.store.runs.get(runId)!;
  const c = ctx.deps.store.checkpoints.latest(runId);
  if (c === undefined) throw new HttpError(404, 'no-checkpoint', `run ${runId} has no checkpoint yet`);
  let spec: ModelSpec;
  try {
    spec = ctx.deps.tasks.resolve(parseRunConfig(record.config)).info.model;
  } catch (e) {
    throw new HttpError(409, 'conflict', `run ${runId}'s task cannot be resolved any more: ${(e as Error).message}`);
  }
  if (layoutOf(spec).dim !== c.dim) throw new Error(`checkpoint ${c.id} has ${c.dim} values, the run's model ${layoutOf(spec).dim}`);
  return { spec, checkpoint: c };
}

async function sendModelJson(ctx: RequestContext, [id]: string[]): Promise<void> {
  const { spec } = downloadable(ctx, id);
  const json = await ctx.deps.exporter.modelJson(spec).catch((e: unknown) => {
    throw new HttpError(503, 'unavailable', `the TF.js model could not be built: ${(e as Error).message}`);
  });
  sendJson(ctx.res, 200, json, ctx.head, { 'Content-Disposition': 'attachment; filename="model.json"' });
}

function sendWeights(ctx: RequestContext, [id]: string[]): void {
  const { checkpoint } = downloadable(ctx, id);
  sendBytes(ctx.res, ModelExporter.weights(checkpoint.params), ctx.head, {
    'Content-Disposition': `attachment; filename="${WEIGHTS_FILE}"`,
    [CHECKPOINT_HEADERS.steps]: String(checkpoint.steps),
    [CHECKPOINT_HEADERS.peer]: String(checkpoint.peerId),
    [CHECKPOINT_HEADERS.time]: String(checkpoint.t),
  });
}

function sendSamples(ctx: RequestContext, [id]: string[]): void {
  const runId = knownRun(ctx, id);
  const samples = ctx.deps.snapshots.samples(runId);
  if (samples === undefined) throw new HttpError(404, 'no-samples', `run ${runId} has no evaluated snapshot with samples yet (they are kept in memory, for the current run)`);
  sendJson(ctx.res, 200, samples, ctx.head);
}

export const modelRoutes: Route[] = [
  { method: 'GET', pattern: pathPattern('samples'), handle: sendSamples },
  { method: 'POST', pattern: pathPattern('snapshots'), handle: uploadSnapshot },
  { method: 'GET', pattern: pathPattern('checkpoint'), handle: sendCheckpoint },
  { method: 'GET', pattern: pathPattern('modelJson'), handle: sendModelJson },
  { method: 'GET', pattern: pathPattern('modelWeights'), handle: sendWeights },
];
