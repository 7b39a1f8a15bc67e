import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateIceServers } from '@starling/protocol';
import { IceIssuer, turnCredentials } from './ice-servers';

describe('TURN REST API credentials', () => {
  it('username is "<expiry>:<who>" and the credential is base64(HMAC-SHA1(secret, username))', () => {
    const c = turnCredentials('s3cret', '17', 1_800_000_000);
    expect(c.username).toBe('1800000000:17');
    // Computed independently of the module: the scheme coturn checks with use-auth-secret.
    expect(c.credential).toBe(createHmac('sha1', 's3cret').update('1800000000:17').digest('base64'));
    expect(turnCredentials('other', '17', 1_800_000_000).credential).not.toBe(c.credential);
  });

  it('a peer gets the run entries, the STUN list and fresh TURN credentials with their expiry', () => {
    let now = 1_700_000_000_500;
    const issuer = new IceIssuer({ stun: ['stun:stun.example:3478'], turn: { urls: ['turn:t.example:3478'], secret: 'k', ttlSeconds: 600 } }, () => now);
    const a = issuer.issue([{ urls: 'stun:run.example' }], '3');
    expect(validateIceServers(a).ok).toBe(true);
    expect(a.iceServers.map((s) => s.urls)).toEqual(['stun:run.example', ['stun:stun.example:3478'], ['turn:t.example:3478']]);
    expect(a.iceServers[2].username).toBe('1700000600:3');
    expect(a.expiresAt).toBe(1_700_000_600_000);
    expect(issuer.refreshEveryMs).toBe(300_000);
    now += 300_000;
    const b = issuer.issue([], '3');
    expect(b.expiresAt).toBe(1_700_000_900_000);
    expect(b.iceServers.at(-1)!.credential).not.toBe(a.iceServers[2].credential);
  });

  it('without TURN nothing expires; without STUN the list can be empty', () => {
    const issuer = new IceIssuer({ stun: [] }, () => 0);
    expect(issuer.issue([])).toEqual({ iceServers: [], expiresAt: null });
    expect(issuer.refreshEveryMs).toBeNull();
  });

  it('a random name when no peer id is given', () => {
    const issuer = new IceIssuer({ stun: [], turn: { urls: ['turn:x'], secret: 'k', ttlSeconds: 60 } }, () => 0);
    expect(issuer.issue([]).iceServers[0].username).toMatch(/^60:[0-9a-f]{12}$/);
  });

  it('the server entries survive a run config that fills the list', () => {
    const issuer = new IceIssuer({ stun: ['stun:s'], turn: { urls: ['turn:x'], secret: 'k', ttlSeconds: 60 } }, () => 0);
    const run = Array.from({ length: 8 }, (_, i) => ({ urls: `stun:run${i}` }));
    const list = issuer.issue(run, '1').iceServers;
    expect(list).toHaveLength(8);
    expect(list.slice(-2).map((s) => s.urls)).toEqual([['stun:s'], ['turn:x']]);
    expect(validateIceServers({ iceServers: list, expiresAt: 60_000 }).ok).toBe(true);
  });
});
