import { describe, expect, it } from 'vitest';
import { loadAdminToken, splitTokenFragment, type TokenEnv } from './token';

function env(hash: string, stored: string | null = null) {
  const store = new Map<string, string>();
  if (stored !== null) store.set('starling.adminToken', stored);
  const replaced: string[] = [];
  const e: TokenEnv = {
    location: { hash, pathname: '/dashboard', search: '?x=1' },
    sessionStorage: {
      getItem: (k) => store.get(k) ?? null,
      setItem: (k, v) => void store.set(k, v),
      removeItem: (k) => void store.delete(k),
    },
    history: { replaceState: (_d, _u, url) => void replaced.push(String(url)) },
  };
  return { e, store, replaced };
}

describe('admin token', () => {
  it('takes the token from the fragment, stores it and strips it from the address', () => {
    const { e, store, replaced } = env('#token=s3cret&view=compact');
    expect(loadAdminToken(e)).toBe('s3cret');
    expect(store.get('starling.adminToken')).toBe('s3cret');
    expect(replaced).toEqual(['/dashboard?x=1#view=compact']);
  });

  it('falls back to the stored token and leaves the address alone', () => {
    const { e, replaced } = env('', 'old');
    expect(loadAdminToken(e)).toBe('old');
    expect(replaced).toEqual([]);
    expect(loadAdminToken(env('').e)).toBeNull();
  });

  it('treats an empty token as none', () => {
    expect(splitTokenFragment('#token=')).toEqual({ token: null, rest: '' });
  });
});
