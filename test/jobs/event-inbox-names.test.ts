import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DELIVERY_TTL_SECONDS, inboxKey, pushEvent } from '../../src/jobs/event-inbox.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { tagPushedEvent } from '../helpers/repo-events.js';

/**
 * A delivery's further names (a GitHub body's digest): the HMAC covers the body but not
 * X-GitHub-Delivery, so the same signed body under a new delivery id is a replay.
 */
const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-event-inbox-names');
const prefix = `{pyrelease-inbox-names-${randomBytes(5).toString('hex')}}`;
const none = { replicas: 0, timeoutMs: 0 };

afterAll(async () => {
  await redis.del(...(await redis.keys(`${prefix}*`)), 'none');
  redis.disconnect();
});

describe('pushEvent with further names', () => {
  it('calls a new delivery id with a name already seen a duplicate, and adds nothing', async () => {
    const body = { sameAs: ['github-body-sha256-aaaa'] };
    expect((await pushEvent(redis, prefix, tagPushedEvent('n-1'), none, body)).created).toBe(true);
    const replay = await Promise.all(Array.from({ length: 10 }, (_, i) => pushEvent(redis, prefix, tagPushedEvent(`n-replay-${i}`), none, body)));
    expect(replay.map((r) => r.created)).toEqual(Array.from({ length: 10 }, () => false));
    expect(await redis.xlen(inboxKey(prefix))).toBe(1);
  });

  it('still calls a repeated delivery id a duplicate under a new name, and queues a new id with a new name', async () => {
    await pushEvent(redis, prefix, tagPushedEvent('n-2'), none, { sameAs: ['github-body-sha256-bbbb'] });
    expect((await pushEvent(redis, prefix, tagPushedEvent('n-2'), none, { sameAs: ['github-body-sha256-cccc'] })).created).toBe(false);
    expect((await pushEvent(redis, prefix, tagPushedEvent('n-3'), none, { sameAs: ['github-body-sha256-dddd'] })).created).toBe(true);
    expect(await redis.xlen(inboxKey(prefix))).toBe(3);
  });

  it('remembers the name for as long as the delivery id', async () => {
    await pushEvent(redis, prefix, tagPushedEvent('n-4'), none, { sameAs: ['github-body-sha256-eeee'] });
    const ttl = await redis.ttl(`${prefix}:delivery:github-body-sha256-eeee`);
    expect(ttl).toBeGreaterThan(DELIVERY_TTL_SECONDS - 60);
  });
});
