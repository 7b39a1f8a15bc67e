import { describe, expect, it } from 'vitest';
import { ApiError, createApi, describeApiError, type FetchLike } from './api';

interface Call {
  url: string;
  init?: RequestInit;
}

function fakeFetch(respond: (url: string) => Response | Error): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      const r = respond(url);
      if (r instanceof Error) throw r;
      return r;
    },
  };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const refusal = (status: number, code: string, message: string) => json(status, { error: { code, message } });

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('api client', () => {
  it('reads the server health, and refuses an answer without counters', async () => {
    const body = { ok: true, counters: { floodDisconnects: 1 }, limits: { maxPeersPerAddress: 16 } };
    const h = await createApi({ token: null, fetch: fakeFetch(() => json(200, body)).fetch }).health();
    expect(h.counters.floodDisconnects).toBe(1);
    const e = await failure(createApi({ token: null, fetch: fakeFetch(() => json(200, { ok: true })).fetch }).health());
    expect(e.code).toBe('bad-response');
  });

  it('sends the bearer token on admin calls only, and JSON bodies', async () => {
    const f = fakeFetch(() => json(200, { paused: true, lossRate: 0.1, runs: [] }));
    const api = createApi({ token: 'tok', fetch: f.fetch });
    await api.setRunState({ paused: true });
    await api.runs();
    const [post, get] = f.calls;
    expect(new Headers(post.init?.headers).get('Authorization')).toBe('Bearer tok');
    expect(post.init?.method).toBe('POST');
    expect(JSON.parse(post.init?.body as string)).toEqual({ paused: true });
    expect(new Headers(get.init?.headers).get('Authorization')).toBeNull();
  });

  it("maps the server's error body to ApiError with status, code and message", async () => {
    const f = fakeFetch(() => refusal(403, 'forbidden', 'wrong admin token'));
    const e = await failure(createApi({ token: 'bad', fetch: f.fetch }).setRunState({ lossRate: 0.2 }));
    expect([e.status, e.code, e.message]).toEqual([403, 'forbidden', 'wrong admin token']);
  });

  it('copes with a non-JSON error body and with an unreachable server', async () => {
    const text = await failure(createApi({ token: null, fetch: fakeFetch(() => new Response('Bad Gateway', { status: 502 })).fetch }).run());
    expect([text.status, text.code, text.message]).toEqual([502, 'http-502', 'Bad Gateway']);
    const down = await failure(createApi({ token: null, fetch: fakeFetch(() => new TypeError('Failed to fetch')).fetch }).run());
    expect(down.status).toBe(0);
    expect(down.message).toContain('Failed to fetch');
  });

  it('rejects a 200 answer of the wrong shape', async () => {
    const e = await failure(createApi({ token: null, fetch: fakeFetch(() => json(200, { nope: 1 })).fetch }).runs());
    expect(e.code).toBe('bad-response');
    expect(e.message).toContain('runs');
  });

  it('encodes run ids in paths and builds model links only with a token', async () => {
    const f = fakeFetch(() => json(200, { points: [] }));
    await createApi({ token: null, fetch: f.fetch }).metrics('a/b', 50);
    expect(f.calls[0].url).toBe('/api/runs/a%2Fb/metrics?maxPoints=50');
    expect(createApi({ token: null }).modelUrls('r1')).toBeNull();
    expect(createApi({ token: 't&x' }).modelUrls('r1')).toEqual({
      modelJson: '/api/runs/r1/model/model.json?token=t%26x',
      weights: '/api/runs/r1/model/weights.bin?token=t%26x',
    });
  });
});

describe('describeApiError', () => {
  it('says what to do for each refusal', () => {
    const text = (status: number) => describeApiError(new ApiError(status, 'c', 'server says no'));
    expect(text(401)).toMatch(/401.*server says no.*#token=/);
    expect(text(403)).toMatch(/token was refused \(403\): server says no/);
    expect(text(400)).toMatch(/rejected the request \(400\): server says no/);
    expect(text(0)).toMatch(/Cannot reach the server/);
    expect(text(503)).toMatch(/Server error \(503\)/);
    expect(describeApiError(new Error('plain'))).toBe('plain');
  });
});
