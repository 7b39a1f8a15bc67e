import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisService } from '../../../../scripts/services';
import { warnOnPubsubLimit } from './node';

/** Against a real redis-server (installed on first use): what it says about its pub/sub limit. */
describe('the pub/sub buffer check at start-up', () => {
  let redis: RedisService;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  }, 120_000);
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it("warns with Redis's default limit and not with the raised one", async () => {
    const lines: string[] = [];
    await warnOnPubsubLimit(client, (l) => lines.push(l));
    expect(lines).toEqual([]); // startRedis raises it (REDIS_PUBSUB_LIMIT)
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
});
