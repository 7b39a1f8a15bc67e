import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisService } from '../../../../scripts/services';
import { watchSubscription, warnOnPubsubLimit } from './node';

/** Against a real redis-server (installed on first use): what it says about its pub/sub limit. */
describe('the pub/sub buffer check at start-up', () => {
  let redis: RedisService;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  }, 600_000);
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it("warns with Redis's default limit and not with the raised one", async () => {
    const lines: string[] = [];
    await warnOnPubsubLimit(client, (l) => lines.push(l));
    expect(lines).toEqual([]); // startRedis raises it (RECOMMENDED_REDIS_PUBSUB_LIMIT)
    await client.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 33554432 8388608 60');
    await warnOnPubsubLimit(client, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pubsub is 32 MiB.*CONFIG SET client-output-buffer-limit/);
  });

  it('stays quiet when Redis refuses CONFIG (managed services)', async () => {
    const lines: string[] = [];
    await warnOnPubsubLimit({ call: async () => Promise.reject(new Error("ERR unknown command 'CONFIG'")) } as never, (l) => lines.push(l));
    expect(lines).toEqual([]);
  });

  it('says so when Redis cuts the subscription off', async () => {
    const sub = new Redis(redis.url);
    try {
      const lines: string[] = [];
      watchSubscription(sub, (l) => lines.push(l));
      await sub.subscribe('starling.test');
      // What Redis does to a subscriber past its output limit: closes the connection.
      await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await new Promise<void>((resolve) => sub.once('ready', () => resolve()));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/subscription connection dropped \(1 time so far.*messages published meanwhile were lost/);
    } finally {
      sub.disconnect();
    }
  });
});

