// waitOutRateLimit against the real BullMQ on the real Redis: the path where moving the
// job to the delayed set fails (the lock is not ours) falls back to an ordinary attempt.
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { AppError, rateLimitDetails } from '../../src/errors.js';
import { retryAfterBackoff } from '../../src/jobs/backoff.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { waitOutRateLimit } from '../../src/jobs/throttle.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const prefix = `{pyrelease-throttle-queue-${randomBytes(5).toString('hex')}}`;
const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-throttle-queue');
const queue = new Queue('throttled', { connection, prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

it('counts a rate limit as a failed attempt, with a warning, when the job cannot be moved to the delayed set', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const limited = new AppError('index-unavailable', 'fake could not take it now: 429', { retryable: true, details: rateLimitDetails(30) });
  const outcomes: string[] = [];
  const worker = new Worker(
    'throttled',
    async (job) => {
      // Not this worker's lock token: BullMQ refuses the move.
      await waitOutRateLimit(job, 'not-the-lock-token', limited, 3600_000, log);
      outcomes.push('returned');
      throw limited;
    },
    { connection: redisConnection(TEST_REDIS_URL, 'pyrelease-test-throttle-queue-worker'), prefix, settings: { backoffStrategy: retryAfterBackoff } },
  );
  try {
    const job = await queue.add('x', {}, { attempts: 1, backoff: { type: 'retry-after', delay: 10 } });
    while ((await queue.getJobState(job.id ?? '')) !== 'failed') await new Promise((r) => setTimeout(r, 20));
    expect(outcomes).toEqual(['returned']);
    expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['could not move the rate-limited job to the delayed set; counting it as a failed attempt']);
  } finally {
    await worker.close();
  }
});
