import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Secrets: the admin token that guards run control (one per server process), and per-peer upload
 * tokens. Comparisons hash both sides first so `timingSafeEqual` sees equal lengths and the time
 * taken says nothing about the secret, not even its length.
 */

/** 32 random bytes, URL-safe (no padding): fits in a URL fragment, a header and a query string. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

/**
 * Checks `Authorization: Bearer T` (or, where `allowQuery`, `?token=T`, so `tf.loadLayersModel(url)`
 * works: TF.js carries the model URL's query over to the weight files). Missing: 401; wrong: 403.
 */
export function checkAdmin(
  adminToken: string,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  allowQuery = false,
): AuthResult {
  const header = headers.authorization;
  let given: string | undefined;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) return { ok: false, status: 401, code: 'unauthorized', message: "the Authorization header must be 'Bearer <admin token>'" };
    given = m[1];
  } else if (allowQuery) {
    given = query.get('token') ?? undefined;
  }
  if (given === undefined || given === '') {
    return {
      ok: false,
      status: 401,
      code: 'unauthorized',
      message: `admin only: send 'Authorization: Bearer <admin token>'${allowQuery ? " or '?token=<admin token>'" : ''}; the token is printed at server start-up`,
    };
  }
  if (!secretsEqual(given, adminToken)) return { ok: false, status: 403, code: 'forbidden', message: 'wrong admin token' };
  return { ok: true };
}
