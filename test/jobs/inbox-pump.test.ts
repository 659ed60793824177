import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventJobData } from '../../src/jobs/event-job.js';
import { GITHUB_EVENT_QUEUE, eventJobId, eventQueueFor } from '../../src/jobs/event-job.js';
import { inboxKey, pushEvent } from '../../src/jobs/event-inbox.js';
import { eventQueue } from '../../src/jobs/event-queue.js';
import { PUMP_GROUP, entryToJob, startInboxPump } from '../../src/jobs/inbox-pump.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { tagPushedEvent } from '../helpers/repo-events.js';

const log = pino({ level: 'silent' });
const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-inbox-pump');
const opened: Array<{ close(): Promise<void> }> = [];
const prefixes: string[] = [];

function fresh(url = TEST_REDIS_URL): { prefix: string; queue: Queue<EventJobData>; blocking: () => ReturnType<typeof redisConnection> } {
  const prefix = `{pyrelease-pump-${randomBytes(5).toString('hex')}}`;
  prefixes.push(prefix);
  const connection = redisConnection(url, 'pyrelease-test-pump-queue');
  const queue = eventQueue(connection, { prefix, attempts: 1, backoffMs: 100 });
  opened.push({ close: async () => { await queue.close(); connection.disconnect(); } });
  return {
    prefix,
    queue,
    blocking: () => {
      const c = redisConnection(url, 'pyrelease-test-pump');
      c.on('error', () => undefined);
      opened.push({ close: async () => c.disconnect() });
      return c;
    },
  };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.close();
});

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

describe('entryToJob', () => {
  it('reads the job id, name and event of an entry', () => {
    const data = { event: tagPushedEvent('x') };
    expect(entryToJob(['1-0', ['job', 'event-gitlab-1', 'name', 'tag-pushed', 'data', JSON.stringify(data)]])).toEqual({ id: '1-0', jobId: 'event-gitlab-1', name: 'tag-pushed', data, platform: 'gitlab' });
  });

  it('turns an unreadable entry into a job the event worker will fail visibly, not into nothing', () => {
    expect(entryToJob(['5-1', ['data', '{not json']])).toEqual({ id: '5-1', jobId: 'inbox-5-1', name: 'unknown', data: { event: null }, platform: undefined });
    expect(entryToJob(['5-2', ['job', 'j', 'data', '42']]).data).toEqual({ event: null });
  });
});

describe('startInboxPump', () => {
  it('queues what waited before any pump ran, each delivery as its deterministic job id, in order, and empties the inbox', async () => {
    const { prefix, queue, blocking } = fresh();
    const deliveries = Array.from({ length: 30 }, (_, i) => `early-${i}`);
    for (const d of deliveries) await pushEvent(redis, prefix, tagPushedEvent(d));
    const pump = startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 200 });
    opened.push(pump);
    // Oldest first: the order the worker takes them in.
    const waiting = await until(() => queue.getJobs(['wait'], 0, -1, true), (jobs) => jobs.length >= 30);
    expect(waiting.map((j) => j.id)).toEqual(deliveries.map((d) => eventJobId(tagPushedEvent(d))));
    expect(waiting[0]?.data).toEqual({ event: tagPushedEvent('early-0') });
    expect(waiting[0]?.name).toBe('tag-pushed');
    expect(await until(() => redis.xlen(inboxKey(prefix)), (n) => n === 0)).toBe(0);
  });

  it('sends each event to its forge\'s queue, and what it cannot read to the default one', async () => {
    const { prefix, queue, blocking } = fresh();
    const github = eventQueue(redis, { prefix, attempts: 1, backoffMs: 100 }, GITHUB_EVENT_QUEUE);
    opened.push({ close: () => github.close() });
    opened.push(startInboxPump({ connection: blocking(), prefix, queueFor: (platform) => (eventQueueFor(platform) === GITHUB_EVENT_QUEUE ? github : queue), log, blockMs: 200 }));
    const fromGithub = { ...tagPushedEvent('gh-1'), repo: { platform: 'github' as const, id: '9', path: 'o/r', defaultBranch: 'main' } };
    await pushEvent(redis, prefix, tagPushedEvent('gl-1'));
    await pushEvent(redis, prefix, fromGithub);
    await redis.xadd(inboxKey(prefix), '*', 'data', '{broken');
    const onGithub = await until(() => github.getJobs(['wait'], 0, -1, true), (jobs) => jobs.length >= 1);
    const onGitlab = await until(() => queue.getJobs(['wait'], 0, -1, true), (jobs) => jobs.length >= 2);
    expect(onGithub.map((j) => j.id)).toEqual([eventJobId(fromGithub)]);
    expect(onGitlab.map((j) => j.id)).toEqual([eventJobId(tagPushedEvent('gl-1')), expect.stringMatching(/^inbox-\d+-\d+$/)]);
  });

  it('with two pumps on one inbox, every delivery becomes exactly one job', async () => {
    const { prefix, queue, blocking } = fresh();
    opened.push(startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 200, batch: 7 }));
    opened.push(startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 200, batch: 7 }));
    await Promise.all(Array.from({ length: 400 }, (_, i) => pushEvent(redis, prefix, tagPushedEvent(`both-${i}`))));
    const count = await until(() => queue.getWaitingCount(), (n) => n >= 400);
    expect(count).toBe(400);
    expect(await until(() => redis.xlen(inboxKey(prefix)), (n) => n === 0)).toBe(0);
    const pending = (await redis.xpending(inboxKey(prefix), PUMP_GROUP)) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });

  it('takes over what a pump read and died holding; a job that already exists is not added twice', async () => {
    const { prefix, queue, blocking } = fresh();
    const key = inboxKey(prefix);
    await pushEvent(redis, prefix, tagPushedEvent('held-1'));
    await pushEvent(redis, prefix, tagPushedEvent('held-2'));
    // A pump that read both entries, added the first one's job, and was killed.
    await redis.xgroup('CREATE', key, PUMP_GROUP, '0', 'MKSTREAM');
    await redis.xreadgroup('GROUP', PUMP_GROUP, 'dead-pump', 'COUNT', 10, 'STREAMS', key, '>');
    const first = await queue.add('tag-pushed', { event: tagPushedEvent('held-1') }, { jobId: eventJobId(tagPushedEvent('held-1')) });
    await first.updateProgress(42);

    const pump = startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 100, claimIdleMs: 300 });
    opened.push(pump);
    const jobs = await until(() => queue.getWaiting(0, -1), (j) => j.length >= 2);
    expect(jobs.map((j) => j.id).sort()).toEqual([eventJobId(tagPushedEvent('held-1')), eventJobId(tagPushedEvent('held-2'))].sort());
    // The job added before the crash is the same job, not a second one.
    expect((await queue.getJob(eventJobId(tagPushedEvent('held-1'))))?.progress).toBe(42);
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
  });

  it('makes its group again when the inbox was deleted under it (queues obliterated, Redis flushed)', async () => {
    const { prefix, queue, blocking } = fresh();
    opened.push(startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 100 }));
    await pushEvent(redis, prefix, tagPushedEvent('before'));
    await until(() => queue.getWaitingCount(), (n) => n >= 1);
    await redis.del(inboxKey(prefix));
    await pushEvent(redis, prefix, tagPushedEvent('after'));
    const job = await until(() => queue.getJob(eventJobId(tagPushedEvent('after'))), (j) => j !== undefined);
    expect(job?.data).toEqual({ event: tagPushedEvent('after') });
  });

  it('removes its own name from the group when it closes with nothing pending, and ends its blocked read at once', async () => {
    const { prefix, queue, blocking } = fresh();
    const pump = startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 10_000 });
    await pushEvent(redis, prefix, tagPushedEvent('one'));
    await until(() => queue.getWaitingCount(), (n) => n >= 1);
    const consumers = async (): Promise<string[]> => ((await redis.xinfo('CONSUMERS', inboxKey(prefix), PUMP_GROUP)) as unknown[][]).map((row) => String(row[1]));
    expect(await consumers()).toContain(pump.consumer);
    // Let it block again on an empty inbox, for up to 10 s.
    await new Promise((r) => setTimeout(r, 100));
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    const started = Date.now();
    await pump.close();
    expect(Date.now() - started).toBeLessThan(1500);
    // No bound's timer (1 s and more) is left behind to keep a stopping process alive.
    // ioredis's own disconnect guard on the unblocking connection lives until that socket
    // has closed, a moment after close() returns on a busy machine, so allow 300 ms.
    const settled = await until(async () => timers(), (n) => n <= timersBefore, 300);
    expect(settled).toBeLessThanOrEqual(timersBefore);
    // Nothing was handed to it on the way out: what comes now waits for the next pump.
    await pushEvent(redis, prefix, tagPushedEvent('after-close'));
    await new Promise((r) => setTimeout(r, 200));
    expect(await redis.xlen(inboxKey(prefix))).toBe(1);
    expect((await redis.xpending(inboxKey(prefix), PUMP_GROUP))[0]).toBe(0);
    expect(await consumers()).not.toContain(pump.consumer);
  });

  it('keeps pumping across a Redis restart, losing nothing written before or after it', { timeout: 40_000 }, async () => {
    const own = await startPrivateRedis();
    opened.push(own);
    const { prefix, queue, blocking } = fresh(own.url);
    const writer = redisConnection(own.url, 'pyrelease-test-pump-writer');
    writer.on('error', () => undefined);
    opened.push({ close: async () => writer.disconnect() });
    const pump = startInboxPump({ connection: blocking(), prefix, queueFor: () => queue, log, blockMs: 200 });
    for (let i = 0; i < 10; i++) await pushEvent(writer, prefix, tagPushedEvent(`r-${i}`));
    await until(() => queue.getWaitingCount(), (n) => n >= 10);
    await own.stop();
    // Written while no pump can read: kept in the AOF-backed stream.
    await own.start();
    for (let i = 10; i < 20; i++) await pushEvent(writer, prefix, tagPushedEvent(`r-${i}`));
    const count = await until(() => queue.getWaitingCount().catch(() => 0), (n) => n >= 20, 20_000);
    expect(count).toBe(20);
    await pump.close();
  });
});
