import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface Measured {
  clientCpuUs: number;
  wallUs: number;
  redisCpuUs: number;
}
interface EnqueueBench {
  redisCpuMicros(info: string): number;
  eventFor(i: number): { meta: { deliveryId: string }; tag: string };
  measure(write: (i: number) => Promise<unknown>, options: { calls: number; inFlight: number; probe: Redis }): Promise<Measured>;
  startReplicatedRedis(): Promise<{ url: string; replicaUrl: string; close(): Promise<void> }>;
}
const bench = (await import(new URL('../../bench/enqueue.js', import.meta.url).href)) as EnqueueBench;
const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());

describe('bench/enqueue.js', () => {
  it('reads Redis CPU time from INFO cpu, and fails loudly without it', () => {
    expect(bench.redisCpuMicros('# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\n')).toBeCloseTo(3_750_000);
    expect(() => bench.redisCpuMicros('# CPU\r\n')).toThrow(/used_cpu_sys/);
  });

  it('makes each call a distinct delivery', () => {
    expect(new Set([0, 1, 2].map((i) => bench.eventFor(i).meta.deliveryId)).size).toBe(3);
  });

  it('calls the write exactly `calls` times whatever is in flight, and divides by them', async () => {
    const key = `bench-enqueue-test-${randomBytes(4).toString('hex')}`;
    const seen: number[] = [];
    const result = await bench.measure(
      async (i) => {
        seen.push(i);
        await redis.incr(key);
      },
      { calls: 120, inFlight: 7, probe: redis },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(Number(await redis.get(key))).toBe(120);
    expect(result.wallUs).toBeGreaterThan(0);
    expect(result.clientCpuUs).toBeGreaterThan(0);
    expect(result.redisCpuUs).toBeGreaterThanOrEqual(0);
    await redis.del(key);
  });

  it('starts a primary with a replica in sync, so that WAIT 1 is answered 1, and stops both', { timeout: 30_000 }, async () => {
    const pair = await bench.startReplicatedRedis();
    const primary = new Redis(pair.url);
    const replica = new Redis(pair.replicaUrl);
    try {
      await primary.set('bench-replicated', 'x');
      expect(await primary.wait(1, 2000)).toBe(1);
      expect(await replica.get('bench-replicated')).toBe('x');
    } finally {
      primary.disconnect();
      replica.disconnect();
      await pair.close();
    }
    const gone = new Redis(pair.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    gone.on('error', () => undefined);
    await expect(gone.connect()).rejects.toThrow();
    gone.disconnect();
  });
});
