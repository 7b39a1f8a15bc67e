import { describe, expect, it } from 'vitest';
import { ClientAddresses } from './client-address';
import { ClientGate, ConnectionLimiter } from './client-gate';
import { KeyedBuckets, TokenBucket } from './rate-limit';
import { resolveTuning } from './tuning';

describe('TokenBucket', () => {
  it('allows a burst, then the refill rate, and never more than the burst after idling', () => {
    const b = new TokenBucket({ burst: 3, perSecond: 2 }, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.waitMs(0)).toBe(500);
    expect(b.take(500)).toBe(true);
    expect(b.take(500)).toBe(false);
    expect(b.full(100_000)).toBe(true);
    expect(b.take(50)).toBe(true); // a clock going backwards refills nothing but breaks nothing
  });

  it('forgets idle keys once there are many, so memory follows the active clients', () => {
    const k = new KeyedBuckets({ burst: 1, perSecond: 1 }, 100);
    for (let i = 0; i < 1000; i++) k.take(`10.0.${i >> 8}.${i & 255}`, i * 10_000);
    expect(k.size).toBeLessThanOrEqual(100);
  });
});

describe('ClientAddresses', () => {
  it('ignores X-Forwarded-For without a trusted proxy', () => {
    expect(new ClientAddresses([]).resolve('::ffff:10.1.2.3', '1.2.3.4')).toBe('10.1.2.3');
  });

  it('takes the rightmost untrusted hop behind trusted proxies, and distrusts junk', () => {
    const a = new ClientAddresses(['10.0.0.1', '10.0.0.2']);
    expect(a.resolve('10.0.0.1', '6.6.6.6, 198.51.100.4, 10.0.0.2')).toBe('198.51.100.4');
    expect(a.resolve('10.0.0.1', ['6.6.6.6', '198.51.100.5'])).toBe('198.51.100.5');
    expect(a.resolve('10.0.0.1', 'not-an-ip')).toBe('10.0.0.1');
    expect(a.resolve('10.0.0.1', undefined)).toBe('10.0.0.1');
    expect(a.resolve('203.0.113.1', '198.51.100.4')).toBe('203.0.113.1'); // not through the proxy
  });
});

describe('ClientGate', () => {
  it('caps seats and joins per address, and connections except from a trusted proxy', () => {
    let now = 0;
    const t = resolveTuning({ maxPeersPerAddress: 2, joinsPerAddress: { burst: 3, perSecond: 1 }, maxConnectionsPerAddress: 2 });
    const g = new ClientGate(t, ['10.9.9.9'], () => now);
    expect(g.join('a')).toEqual({ ok: true });
    g.seatTaken('a');
    expect(g.join('a')).toEqual({ ok: true });
    g.seatTaken('a');
    expect(g.join('a')).toMatchObject({ ok: false, code: 'address-full' });
    g.seatFreed('a');
    expect(g.join('a')).toEqual({ ok: true });
    g.seatFreed('a');
    expect(g.join('a')).toMatchObject({ ok: false, code: 'rate-limited', retryMs: 1000 });
    now += 1000;
    expect(g.join('a')).toEqual({ ok: true });
    expect(g.join('b')).toEqual({ ok: true });
    expect([g.tcpOpened('1.1.1.1'), g.tcpOpened('1.1.1.1'), g.tcpOpened('::ffff:1.1.1.1')]).toEqual([true, true, false]);
    g.tcpClosed('1.1.1.1');
    expect(g.tcpOpened('1.1.1.1')).toBe(true);
    for (let i = 0; i < 10; i++) expect(g.tcpOpened('10.9.9.9')).toBe(true);
  });
});

describe('ConnectionLimiter', () => {
  it('answers the first refusal, drops the rest quietly, and cuts a flood off', () => {
    const t = resolveTuning({ eventsPerConnection: { burst: 2, perSecond: 1 }, floodDisconnectAfter: 4 });
    const l = new ConnectionLimiter(t, 0);
    expect(['telemetry', 'telemetry', 'telemetry', 'leave', 'x', 'telemetry'].map((e) => l.check(e, 0))).toEqual([
      'ok', 'ok', 'refuse', 'refuse-quietly', 'refuse-quietly', 'disconnect',
    ]);
    const m = new ConnectionLimiter(t, 0);
    m.check('a', 0);
    m.check('a', 0);
    expect(m.check('signal', 0)).toBe('ok'); // signals have their own budget
  });
});
