import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args';
import { loadRunConfig, loadTuning, resolveTuning, ServerConfigError, SERVER_TUNING, summariseRunConfig } from './config';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'starling-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<ServerConfigError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ServerConfigError);
    return e as ServerConfigError;
  }
  throw new Error('expected a ServerConfigError');
}
const failureSync = (fn: () => unknown) => failure(Promise.resolve().then(fn));

describe('parseCliArgs', () => {
  it('fills defaults and reads every flag', () => {
    const d = parseCliArgs([]);
    expect(d.help).toBe(false);
    if (d.help) return;
    expect(d.options).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: '.data' });
    expect(d.options.webDist).toMatch(/apps[/\\]web[/\\]dist$/);
    const r = parseCliArgs(['--port', '0', '--host', '0.0.0.0', '--data-dir', '/tmp/d', '--config', 'run.json', '--web-dist', 'w']);
    expect(r.help === false && r.options).toMatchObject({ port: 0, host: '0.0.0.0', dataDir: '/tmp/d', configFile: 'run.json', webDist: 'w' });
    expect(parseCliArgs(['--help']).help).toBe(true);
  });

  it('reads the database, admin token and new-run flags, and the token from the environment', () => {
    const r = parseCliArgs(['--db', '/tmp/x.db', '--admin-token', 'a'.repeat(20), '--new-run']);
    expect(r.help === false && r.options).toMatchObject({ dbFile: '/tmp/x.db', adminToken: 'a'.repeat(20), newRun: true });
    const env = parseCliArgs([], { STARLING_ADMIN_TOKEN: 'e'.repeat(16) });
    expect(env.help === false && env.options).toMatchObject({ adminToken: 'e'.repeat(16), newRun: false });
    const flagWins = parseCliArgs(['--admin-token', 'f'.repeat(16)], { STARLING_ADMIN_TOKEN: 'e'.repeat(16) });
    expect(flagWins.help === false && flagWins.options.adminToken).toBe('f'.repeat(16));
    const none = parseCliArgs([], { STARLING_ADMIN_TOKEN: '' });
    expect(none.help === false && none.options.adminToken).toBeUndefined();
  });

  it('refuses a short or spaced admin token', async () => {
    expect((await failureSync(() => parseCliArgs(['--admin-token', 'short']))).message).toContain('adminToken');
    await failureSync(() => parseCliArgs(['--admin-token', 'has a space in it, sadly']));
  });

  it('rejects bad ports, unknown flags and stray arguments with a clear message', async () => {
    expect((await failureSync(() => parseCliArgs(['--port', 'http']))).message).toContain('--port');
    expect((await failureSync(() => parseCliArgs(['--port', '70000']))).message).toContain('port');
    expect((await failureSync(() => parseCliArgs(['--prot', '1']))).message).toContain('--prot');
    await failureSync(() => parseCliArgs(['extra']));
  });
});

describe('tuning overrides', () => {
  it('reads --tuning and --trust-proxy', () => {
    const r = parseCliArgs(['--tuning', 't.json', '--trust-proxy', '10.0.0.1, ::1']);
    expect(r.help === false && r.options).toMatchObject({ tuningFile: 't.json', trustProxy: ['10.0.0.1', '::1'] });
    const d = parseCliArgs([]);
    expect(d.help === false && d.options.trustProxy).toEqual([]);
  });

  it('loads a file with any subset of the keys, shaped like the defaults', async () => {
    expect(await loadTuning(undefined)).toEqual({});
    const file = join(dir, 'tuning.json');
    await writeFile(file, JSON.stringify({ maxPeersPerAddress: 4, joinsPerAddress: { burst: 2, perSecond: 0.1 } }));
    const t = await loadTuning(file);
    expect(resolveTuning(t)).toMatchObject({ maxPeersPerAddress: 4, joinsPerAddress: { burst: 2, perSecond: 0.1 }, maxBufferedBytes: SERVER_TUNING.maxBufferedBytes });
  });

  it.each([
    [{ noSuchKey: 1 }, /noSuchKey/],
    [{ maxPeersPerAddress: 'many' }, /maxPeersPerAddress/],
    [{ maxPeersPerAddress: 0 }, /maxPeersPerAddress must be a positive number/],
    [{ joinsPerAddress: { burst: 0, perSecond: 1 } }, /joinsPerAddress needs burst >= 1/],
    [{ joinsPerAddress: { burst: 2 } }, /joinsPerAddress/],
    [{ headersTimeoutMs: 10, requestTimeoutMs: 5 }, /headersTimeoutMs must not exceed/],
  ])('refuses %j naming the key', async (bad, message) => {
    const file = join(dir, 'bad-tuning.json');
    await writeFile(file, JSON.stringify(bad));
    const e = await failure(loadTuning(file));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(message);
  });
});

describe('loadRunConfig', () => {
  it('uses defaults without a file and reads a JSON file', async () => {
    expect((await loadRunConfig(undefined)).algorithm).toBe('rfast');
    const file = join(dir, 'ok.json');
    await writeFile(file, JSON.stringify({ algorithm: 'dpsgd', shards: { count: 3 } }));
    const c = await loadRunConfig(file);
    expect(c.algorithm).toBe('dpsgd');
    expect(c.shards.count).toBe(3);
    expect(summariseRunConfig('r1', c)).toContain('dpsgd');
  });

  it('names the file and each invalid field', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ lr: 0, shards: { count: -2 } }));
    const e = await failure(loadRunConfig(file));
    expect(e.message).toContain(file);
    expect(e.issues.map((i) => i.path).sort()).toEqual(['lr', 'shards.count']);
  });

  it('reports unreadable and non-JSON files', async () => {
    expect((await failure(loadRunConfig(join(dir, 'missing.json')))).message).toContain('cannot read');
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "lr": ');
    expect((await failure(loadRunConfig(file))).message).toContain('not valid JSON');
  });
});
