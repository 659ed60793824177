import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RepoEvent } from '../../src/core/events.js';
import { enqueueEvent, eventQueue } from '../../src/jobs/event-queue.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-event-queue');
const prefix = `{pyrelease-eq-${randomBytes(5).toString('hex')}}`;
const queue = eventQueue(redis, { prefix, attempts: 3, backoffMs: 100 });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await redis.del(...(await redis.keys(`${prefix}*`)), 'none');
  await queue.close();
  redis.disconnect();
});

const event = (deliveryId: string): RepoEvent => ({
  kind: 'tag-pushed',
  repo: { platform: 'gitlab', id: '1', path: 'a/b', defaultBranch: 'main' },
  tag: 'v1.0.0',
  sha: 'a'.repeat(40),
  protected: null,
  meta: { deliveryId, installationId: null },
});

describe('enqueueEvent', () => {
  it('queues a delivery once and calls its repeats duplicates', async () => {
    const first = await enqueueEvent(queue, redis, event('d-1'));
    const again = await Promise.all(Array.from({ length: 20 }, () => enqueueEvent(queue, redis, event('d-1'))));
    expect(first.created).toBe(true);
    expect(again.every((r) => !r.created && r.jobId === first.jobId)).toBe(true);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(1);
  });

  it('never loses a delivery whose first attempt got only half way: the add always runs', async () => {
    const first = await enqueueEvent(queue, redis, event('d-2'));
    // As if the first add had failed after the delivery id was recorded.
    await (await queue.getJob(first.jobId))?.remove();
    const retry = await enqueueEvent(queue, redis, event('d-2'));
    expect(retry.created).toBe(false);
    expect(await queue.getJob(first.jobId)).toBeDefined();
  });
});
