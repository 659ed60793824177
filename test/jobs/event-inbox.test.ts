import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RepoEvent } from '../../src/core/events.js';
import { isAppError } from '../../src/errors.js';
import { eventJobId } from '../../src/jobs/event-job.js';
import { DELIVERY_TTL_SECONDS, inboxKey, inboxState, pushEvent } from '../../src/jobs/event-inbox.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { tagPushedEvent } from '../helpers/repo-events.js';

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-event-inbox');
const prefix = `{pyrelease-inbox-${randomBytes(5).toString('hex')}}`;

afterAll(async () => {
  await redis.del(...(await redis.keys(`${prefix}*`)), 'none');
  redis.disconnect();
});

const tagEvent = (deliveryId: string): RepoEvent => tagPushedEvent(deliveryId);

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

describe('pushEvent', () => {
  it('writes a new delivery once, as its job id, name and event, and calls its repeats duplicates', async () => {
    const first = await pushEvent(redis, prefix, tagEvent('d-1'));
    const again = await Promise.all(Array.from({ length: 20 }, () => pushEvent(redis, prefix, tagEvent('d-1'))));
    expect(first).toEqual({ jobId: eventJobId(tagEvent('d-1')), created: true });
    expect(again.every((r) => !r.created && r.jobId === first.jobId)).toBe(true);
    const entries = await redis.xrange(inboxKey(prefix), '-', '+');
    expect(entries).toHaveLength(1);
    const fields = fieldsOf(entries[0]?.[1] ?? []);
    expect(fields['job']).toBe(first.jobId);
    expect(fields['name']).toBe('tag-pushed');
    expect(JSON.parse(fields['data'] ?? '')).toEqual({ event: tagEvent('d-1') });
    const ttl = await redis.ttl(`${prefix}:delivery:${first.jobId}`);
    expect(ttl).toBeGreaterThan(DELIVERY_TTL_SECONDS - 60);
  });

  it('tells different deliveries apart, and keeps them in the order they came', async () => {
    const ids = ['d-2', 'd-3', 'd-4'];
    for (const id of ids) expect((await pushEvent(redis, prefix, tagEvent(id))).created).toBe(true);
    const jobs = (await redis.xrange(inboxKey(prefix), '-', '+')).map((e) => fieldsOf(e[1])['job']);
    expect(jobs.slice(-3)).toEqual(ids.map((id) => eventJobId(tagEvent(id))));
  });

  it('still works after Redis lost its script cache (SCRIPT FLUSH, as after a restart)', async () => {
    await pushEvent(redis, prefix, tagEvent('d-5'));
    await redis.script('FLUSH');
    expect((await pushEvent(redis, prefix, tagEvent('d-6'))).created).toBe(true);
    expect((await pushEvent(redis, prefix, tagEvent('d-6'))).created).toBe(false);
  });

  it('remembers a delivery id again for the whole TTL when it is delivered again', async () => {
    const { jobId } = await pushEvent(redis, prefix, tagEvent('d-7'));
    await redis.expire(`${prefix}:delivery:${jobId}`, 60);
    expect((await pushEvent(redis, prefix, tagEvent('d-7'))).created).toBe(false);
    expect(await redis.ttl(`${prefix}:delivery:${jobId}`)).toBeGreaterThan(DELIVERY_TTL_SECONDS - 60);
  });

  it('with replicas asked for and none there, stores the delivery but refuses to call it stored', async () => {
    const ack = { replicas: 1, timeoutMs: 200 };
    const started = performance.now();
    const refused = await pushEvent(redis, prefix, tagEvent('d-8'), ack).then(() => null, (error: unknown) => error);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(isAppError(refused) && refused.code === 'network' && refused.retryable).toBe(true);
    expect((refused as Error).message).toBe('0 of 1 Redis replicas had the delivery within 200 ms');
    // Written on the primary all the same: the forge's resend is a duplicate, and waits again.
    await expect(pushEvent(redis, prefix, tagEvent('d-8'), ack)).rejects.toThrow('0 of 1 Redis replicas');
    expect((await pushEvent(redis, prefix, tagEvent('d-8'))).created).toBe(false);
    const jobs = (await redis.xrange(inboxKey(prefix), '-', '+')).map((e) => fieldsOf(e[1])['job']);
    expect(jobs.filter((j) => j === eventJobId(tagEvent('d-8')))).toHaveLength(1);
  });

  it('reports how many entries wait and when the oldest was written', async () => {
    const other = `${prefix}-state`;
    expect(await inboxState(redis, other)).toEqual({ length: 0, oldestMs: null });
    const before = Date.now();
    await pushEvent(redis, other, tagEvent('s-1'));
    await pushEvent(redis, other, tagEvent('s-2'));
    const state = await inboxState(redis, other);
    expect(state.length).toBe(2);
    expect(state.oldestMs).toBeGreaterThanOrEqual(before - 1000);
    expect(state.oldestMs).toBeLessThanOrEqual(Date.now() + 1000);
  });
});
