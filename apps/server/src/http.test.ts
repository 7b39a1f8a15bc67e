import { request } from 'node:http';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSet, makeShards, subset } from '@starling/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpErrorBody } from '@starling/protocol';
import { SERVER_TUNING } from './config';
import type { RunningServer } from './server';
import { adminHeaders, startTestServer, syntheticSplits } from './test-support';

const SHARDS = 5;
let server: RunningServer;
let root: string;

/** GET with the path sent byte for byte (fetch would normalise '..' away). */
function rawGet(path: string): Promise<{ status: number; type: string; body: string }> {
  const { port } = server;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  // root/secret.txt must stay unreachable; root/web is the app, root/wasm the TF.js binaries.
  root = await mkdtemp(join(tmpdir(), 'starling-http-'));
  await writeFile(join(root, 'secret.txt'), 'top secret');
  await mkdir(join(root, 'web', 'assets'), { recursive: true });
  await writeFile(join(root, 'web', 'index.html'), '<!doctype html><title>starling</title>');
  await writeFile(join(root, 'web', 'assets', 'app-1234.js'), 'console.log(1)');
  await writeFile(join(root, 'web', 'assets', 'model.wasm'), new Uint8Array([0, 97, 115, 109]));
  await symlink(join(root, 'secret.txt'), join(root, 'web', 'leak.txt'));
  await mkdir(join(root, 'wasm'));
  await writeFile(join(root, 'wasm', 'tfjs-backend-wasm.wasm'), new Uint8Array([0, 97, 115, 109, 1]));
  server = await startTestServer(
    { shards: { count: SHARDS, mode: 'noniid', classesPerShard: 2 }, seed: 7 },
    { options: { webDist: join(root, 'web'), wasmDir: join(root, 'wasm') } },
  );
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe('data endpoints', () => {
  it('serves each shard as a decodable payload of the split the run config defines', async () => {
    const { train } = syntheticSplits();
    const split = makeShards(train.targets as Uint8Array, SHARDS, { mode: 'noniid', classesPerShard: 2, seed: 7 });
    for (const index of [0, SHARDS - 1]) {
      const res = await fetch(`${server.url}/data/train/shard/${index}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const set = decodeSet(new Uint8Array(await res.arrayBuffer()), { shard: { index, of: SHARDS } });
      expect(set.count).toBe(split[index].length);
      expect([...set.targets!]).toEqual([...subset(train, split[index]).targets!]);
    }
  });

  it('serves the test set', async () => {
    const res = await fetch(`${server.url}/data/test`);
    const set = decodeSet(new Uint8Array(await res.arrayBuffer()), { shard: { index: 0, of: 1 } });
    expect(set.count).toBe(syntheticSplits().test.count);
  });

  it('answers 400 with a JSON error for a bad shard index or query', async () => {
    for (const bad of ['abc', '-1', '1.5', String(SHARDS), '99999999999', '']) {
      const res = await fetch(`${server.url}/data/train/shard/${bad}`);
      expect(res.status, bad).toBe(400);
      const body = (await res.json()) as HttpErrorBody;
      expect(body.error.code).toBe('bad-request');
      expect(body.error.message).toContain('shard');
    }
    expect((await fetch(`${server.url}/data/train/shard/0?x=1`)).status).toBe(400);
    expect((await fetch(`${server.url}/data/train/shard/0/1`)).status).toBe(404);
  });
});

describe('API', () => {
  it('GET /api/run reports config, epoch, members and counters', async () => {
    const body = (await (await fetch(`${server.url}/api/run`)).json()) as Record<string, unknown>;
    expect(body.runId).toBe(server.run.runId);
    expect(body.epoch).toBe(server.run.coordinator.epoch);
    expect(body.members).toEqual([]);
    expect((body.config as { shards: { count: number } }).shards.count).toBe(SHARDS);
    expect(body.counters).toMatchObject({ rejected: 0, connections: expect.any(Number) });
  });

  it('GET /api/peers lists peers', async () => {
    const body = (await (await fetch(`${server.url}/api/peers`)).json()) as { peers: unknown[] };
    expect(body.peers).toEqual([]);
  });

  it('validates run-state updates', async () => {
    const post = (body: string) => fetch(`${server.url}/api/run/state`, { method: 'POST', body, headers: adminHeaders() });
    expect((await post('{"lossRate": 2}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await post('{}')).status).toBe(400);
    expect((await post('x'.repeat(SERVER_TUNING.maxBodyBytes + 1))).status).toBe(413);
    expect(server.run.state.lossRate).toBe(0);
    expect((await fetch(`${server.url}/api/run`, { method: 'PUT' })).status).toBe(405);
  });

  it('answers 404 JSON for unknown API paths', async () => {
    const res = await fetch(`${server.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as HttpErrorBody).error.code).toBe('not-found');
  });
});

describe('static files', () => {
  it('serves the app with correct content types', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('starling');
    expect((await fetch(`${server.url}/assets/app-1234.js`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${server.url}/assets/model.wasm`)).headers.get('content-type')).toBe('application/wasm');
  });

  it('falls back to index.html for app routes but not for missing files', async () => {
    const route = await fetch(`${server.url}/runs/3`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>starling</title>');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  it('serves the TF.js wasm binaries and nothing else from that folder', async () => {
    const res = await fetch(`${server.url}/tfjs-wasm/tfjs-backend-wasm.wasm`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109, 1]));
    expect((await fetch(`${server.url}/tfjs-wasm/other.wasm`)).status).toBe(404);
    expect((await rawGet('/tfjs-wasm/..%2f..%2fsecret.txt')).status).toBe(404);
  });

  it('refuses path traversal with 404', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00index.html',
      '/leak.txt',
      '/%E0%A4%A',
    ];
    for (const path of attempts) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('top secret');
      expect(res.type, path).toContain('application/json');
    }
  });
});
