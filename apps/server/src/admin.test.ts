import { describe, expect, it } from 'vitest';
import { checkAdmin, newSecret, secretsEqual } from './admin';

describe('admin token', () => {
  const token = newSecret();
  const q = (s = '') => new URLSearchParams(s);

  it('makes distinct URL-safe secrets', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSecret()).not.toBe(token);
  });

  it('compares secrets of any length', () => {
    expect(secretsEqual(token, token)).toBe(true);
    expect(secretsEqual(token.slice(1), token)).toBe(false);
    expect(secretsEqual('', token)).toBe(false);
  });

  it('answers 401 without a token, 403 with a wrong one, ok with the right one', () => {
    expect(checkAdmin(token, {}, q())).toMatchObject({ ok: false, status: 401, code: 'unauthorized' });
    expect(checkAdmin(token, { authorization: 'Bearer ' }, q())).toMatchObject({ ok: false, status: 401 });
    expect(checkAdmin(token, { authorization: `Token ${token}` }, q())).toMatchObject({ ok: false, status: 401 });
    expect(checkAdmin(token, { authorization: `Bearer ${token}x` }, q())).toMatchObject({ ok: false, status: 403, code: 'forbidden' });
    expect(checkAdmin(token, { authorization: `bearer ${token}` }, q())).toEqual({ ok: true });
  });

  it('takes ?token= only where allowed, and a header over the query', () => {
    expect(checkAdmin(token, {}, q(`token=${token}`))).toMatchObject({ ok: false, status: 401 });
    expect(checkAdmin(token, {}, q(`token=${token}`), true)).toEqual({ ok: true });
    expect(checkAdmin(token, {}, q('token=nope'), true)).toMatchObject({ ok: false, status: 403 });
    expect(checkAdmin(token, { authorization: 'Bearer wrong' }, q(`token=${token}`), true)).toMatchObject({ ok: false, status: 403 });
  });
});
