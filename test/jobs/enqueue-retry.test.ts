// A release whose publish job failed for good is run again by a new push of its tag:
// enqueuePublish with retryFailed, against the real BullMQ on the real Redis.
import { randomBytes } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError, rateLimitDetails } from '../../src/errors.js';
import type { PublishJobData, PublishJobInput } from '../../src/jobs/publish-job.js';
import { enqueuePublish, publishQueue, redisConnection } from '../../src/jobs/queues.js';
import { retryAfterBackoff } from '../../src/jobs/backoff.js';
import { waitOutRateLimit } from '../../src/jobs/throttle.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const prefix = `{pyrelease-enqueue-retry-${randomBytes(5).toString('hex')}}`;
const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-enqueue-retry');
const queue = publishQueue(connection, { prefix, attempts: 2, backoffMs: 10 });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

const release = (version: string): PublishJobInput => ({
  platform: 'gitlab', repo: '42', project: 'demo', tag: `v${version}`, sha: 'c'.repeat(40), registries: ['fake'], buildTool: 'build', version, source: { kind: 'forge' },
});

/** Runs the queue until `jobId` has finished once more, failing it for good (with the reason) or completing it. */
async function runOnce(jobId: string, outcome: 'fail' | 'complete'): Promise<void> {
  const worker = new Worker<PublishJobData>(
    'publish',
    async () => {
      if (outcome === 'fail') throw new UnrecoverableError('index-unavailable: the index was down for an hour');
      return { files: [] };
    },
    { connection: redisConnection(TEST_REDIS_URL, 'pyrelease-test-enqueue-retry-worker'), prefix },
  );
  const done = new Promise<void>((resolve) => {
    const finished = (job: Job | undefined): void => (job?.id === jobId ? resolve() : undefined);
    if (outcome === 'fail') worker.on('failed', finished);
    else worker.on('completed', finished);
  });
  await done;
  await worker.close();
}

describe('enqueuePublish with retryFailed', () => {
  it('puts a failed job back with its attempts counted from zero; without it, or on a job not failed, adds nothing', async () => {
    const { jobId, created } = await enqueuePublish(queue, release('1.0.0'));
    expect(created).toBe(true);
    // Not failed yet: a retry request is a plain duplicate.
    expect(await enqueuePublish(queue, release('1.0.0'), { retryFailed: true })).toEqual({ jobId, created: false });
    await runOnce(jobId, 'fail');
    expect(await queue.getJobState(jobId)).toBe('failed');

    expect(await enqueuePublish(queue, release('1.0.0'))).toEqual({ jobId, created: false });
    expect(await queue.getJobState(jobId)).toBe('failed');

    expect(await enqueuePublish(queue, release('1.0.0'), { retryFailed: true })).toEqual({ jobId, created: true, retried: true });
    const back = await queue.getJob(jobId);
    expect([await back?.getState(), back?.attemptsMade, back?.failedReason ?? '']).toEqual(['waiting', 0, '']);
    await runOnce(jobId, 'complete');
    expect(await queue.getJobState(jobId)).toBe('completed');
    // A completed release is never run again.
    expect(await enqueuePublish(queue, release('1.0.0'), { retryFailed: true })).toEqual({ jobId, created: false });
  });

  it('retries a failed job once when many new deliveries of the tag arrive at the same time', async () => {
    const { jobId } = await enqueuePublish(queue, release('2.0.0'));
    await runOnce(jobId, 'fail');
    const answers = await Promise.all(Array.from({ length: 20 }, () => enqueuePublish(queue, release('2.0.0'), { retryFailed: true })));
    expect(answers.filter((a) => a.retried === true)).toHaveLength(1);
    expect(answers.filter((a) => !a.created)).toHaveLength(19);
    expect(await queue.getJobState(jobId)).toBe('waiting');
  });

  it('starts the job\'s patience for rate limits again: a retried old job waits a rate limit out', async () => {
    const { jobId } = await enqueuePublish(queue, release('3.0.0'));
    await runOnce(jobId, 'fail');
    // Older than a 2.5 s patience by the time a 1 s rate limit would end, counted from when it was queued.
    await new Promise((r) => setTimeout(r, 1600));
    expect((await enqueuePublish(queue, release('3.0.0'), { retryFailed: true })).retried).toBe(true);
    const decisions: string[] = [];
    const worker = new Worker<PublishJobData>(
      'publish',
      async (job, token) => {
        const limited = new AppError('index-unavailable', 'fake could not take it now: 429', { retryable: true, details: rateLimitDetails(1) });
        try {
          await waitOutRateLimit(job, token, limited, 2500, pino({ level: 'silent' }));
        } catch (error) {
          decisions.push('waits');
          throw error;
        }
        decisions.push('spends an attempt');
        throw limited;
      },
      { connection: redisConnection(TEST_REDIS_URL, 'pyrelease-test-enqueue-retry-patience'), prefix, settings: { backoffStrategy: retryAfterBackoff } },
    );
    try {
      const deadline = Date.now() + 10_000;
      while (decisions.length === 0 || (await queue.getJobState(jobId)) === 'active') {
        if (Date.now() > deadline) throw new Error(`no decision in 10 s: ${JSON.stringify(decisions)}, ${await queue.getJobState(jobId)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await worker.close();
    }
    expect(decisions.slice(0, 1)).toEqual(['waits']);
    expect(await queue.getJobState(jobId)).toBe('delayed');
    expect((await queue.getJob(jobId))?.attemptsMade).toBe(0);
  });
});
