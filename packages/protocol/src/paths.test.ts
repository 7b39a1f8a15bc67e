import { describe, expect, it } from 'vitest';
import { isApiPath, PATHS, pathParams, pathPattern, pathTo, WASM_DIR, type PathName } from './paths';

describe('URL paths', () => {
  it('build concrete paths with encoded parameters', () => {
    expect(pathTo('run')).toBe('/api/run');
    expect(pathTo('checkpoint', { runId: 'run-1' })).toBe('/api/runs/run-1/checkpoint');
    expect(pathTo('modelJson', { runId: 'a/b c' })).toBe('/api/runs/a%2Fb%20c/model/model.json');
    expect(pathTo('shard', { index: 3 })).toBe('/data/train/shard/3');
    expect(WASM_DIR).toBe('/tfjs-wasm/');
  });

  it('every template matches what pathTo builds from it, capturing each parameter', () => {
    for (const name of Object.keys(PATHS) as PathName[]) {
      const params = Object.fromEntries(pathParams(PATHS[name]).map((p, i) => [p, `v${i}.x`]));
      const built = (pathTo as (n: PathName, p: Record<string, string>) => string)(name, params);
      const m = pathPattern(name).exec(built);
      expect(m, name).not.toBeNull();
      expect(m!.slice(1)).toEqual(Object.values(params));
    }
  });

  it('patterns match exactly: no extra segments, no prefix, dots are literal', () => {
    expect(pathPattern('run').test('/api/run/')).toBe(false);
    expect(pathPattern('run').test('/api/runx')).toBe(false);
    // An empty parameter matches, so the route itself can say what is wrong with it.
    expect(pathPattern('shard').exec('/data/train/shard/')?.[1]).toBe('');
    expect(pathPattern('metrics').test('/api/runs/a/b/metrics')).toBe(false);
    expect(pathPattern('modelJson').test('/api/runs/r/model/modelXjson')).toBe(false);
    expect(pathPattern('runState').test('/x/api/run/state')).toBe(false);
  });

  it('a missing parameter is a programming error, said plainly', () => {
    expect(() => (pathTo as (n: string, p: object) => string)('metrics', {})).toThrow(/missing parameter runId/);
  });

  it('API prefixes never fall back to the web app', () => {
    for (const p of ['/api', '/api/x', '/data/test', '/tfjs-wasm/a.wasm', '/socket.io/']) expect(isApiPath(p), p).toBe(true);
    for (const p of ['/', '/dashboard', '/apix', '/assets/a.js']) expect(isApiPath(p), p).toBe(false);
  });
});
