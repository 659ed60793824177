import { Queue } from 'bullmq';
import type { JobsOptions, QueueOptions } from 'bullmq';
import { openRedis } from '../redis-client.js';
import type { RedisClient, RedisTarget } from '../redis-client.js';
import { RETRY_AFTER_BACKOFF } from './backoff.js';
import { PUBLISH_QUEUE, publishJobId, publishJobSchema } from './publish-job.js';
import type { RateLimitedProgress } from './throttle.js';
import type { PublishJobData, PublishJobInput } from './publish-job.js';

export interface QueueSettings {
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
}

/**
 * BullMQ needs `maxRetriesPerRequest: null` on connections used by workers (blocking
 * commands must wait through a Redis restart instead of failing after 20 tries).
 */
export function redisConnection(target: RedisTarget | string, connectionName = 'pyrelease'): RedisClient {
  return openRedis(typeof target === 'string' ? { url: target, cluster: false } : target, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName });
}

/**
 * A BullMQ Queue re-emits every error of its connection, one per reconnect attempt while
 * Redis is away. With no listener BullMQ prints each with console.error, which is neither
 * JSON nor one line. The connection's owner reports them (a worker logs a warning, the web
 * process answers 503 and /readyz says Redis is unreachable), so the queue's copy is dropped.
 */
export function withoutErrorEcho<Q extends { on(event: 'error', listener: (error: Error) => void): unknown }>(queue: Q): Q {
  queue.on('error', () => undefined);
  return queue;
}

export function jobOptions(settings: Pick<QueueSettings, 'attempts' | 'backoffMs'>): JobsOptions {
  return {
    attempts: settings.attempts,
    // Exponential, but never sooner than an index's Retry-After (see backoff.ts).
    backoff: { type: RETRY_AFTER_BACKOFF, delay: settings.backoffMs },
    // Kept so that a duplicate delivery days later still finds the job id and adds
    // nothing (ids deduplicate only while the job exists); the index check covers the rest.
    removeOnComplete: { age: 30 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 90 * 24 * 3600, count: 10_000 },
  };
}

export function publishQueue(connection: RedisClient, settings: QueueSettings): Queue<PublishJobData> {
  const options: QueueOptions = { connection, prefix: settings.prefix, defaultJobOptions: jobOptions(settings) };
  return withoutErrorEcho(new Queue<PublishJobData>(PUBLISH_QUEUE, options));
}

export interface EnqueueResult {
  readonly jobId: string;
  /** false when a job with this id already existed (a duplicate delivery) and was not run again. */
  readonly created: boolean;
  /** true when the job existed, had failed, and was put back to run again (`retryFailed`). */
  readonly retried?: boolean;
}

/**
 * Queues a release's publish job once: its id is derived from the release, so a second
 * delivery finds the job and adds nothing. With `retryFailed`, a job that had failed for
 * good runs again instead, its attempts counted from zero: the way a maintainer retries
 * a release (a new push of the tag; see handle-event.ts). Its built files and the record
 * of what it uploaded are kept, so the retry builds nothing twice and uploads nothing twice.
 */
export async function enqueuePublish(queue: Queue<PublishJobData>, input: PublishJobInput, options: { retryFailed?: boolean } = {}): Promise<EnqueueResult> {
  const data = publishJobSchema.parse(input);
  const jobId = publishJobId(data);
  // BullMQ ignores an add whose id exists, so duplicates are harmless even when two
  // deliveries race past this check; the check only makes the log line truthful.
  const existing = await queue.getJob(jobId);
  if (existing === undefined) {
    await queue.add('publish', data, { jobId });
    return { jobId, created: true };
  }
  if (options.retryFailed === true && (await existing.isFailed())) {
    try {
      // Its patience for rate limits starts again too (throttle.ts).
      await existing.updateProgress({ since: Date.now() } satisfies RateLimitedProgress);
      await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return { jobId, created: true, retried: true };
    } catch {
      // Another delivery retried it first (BullMQ's script refuses a job no longer failed).
    }
  }
  return { jobId, created: false };
}
