import { UnrecoverableError } from 'bullmq';
import type { Job, Worker } from 'bullmq';
import { z } from 'zod';
import type { RedisClient } from '../redis-client.js';
import { retryAfterBackoff } from './backoff.js';
import { waitOutRateLimit } from './throttle.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { handleEvent } from '../service/handle-event.js';
import type { ServiceDeps } from '../service/handle-event.js';
import { EVENT_QUEUE, repoEventSchema } from './event-job.js';
import { GuardedWorker } from './guarded-worker.js';
import { invalidJobError } from './invalid-job-error.js';
import type { EventJobData, EventQueueName } from './event-job.js';
import type { KnownRepos } from './known-repos.js';
import { toWorkerError } from './publish-worker.js';
import type { WorkerSettings } from './publish-worker.js';

/** The whole of an event job's data: `job.data.event` on data that is not an object would throw a TypeError, which is retried. */
const eventJobSchema = z.strictObject({ event: repoEventSchema });

export function createEventWorker(connection: RedisClient, settings: WorkerSettings, deps: ServiceDeps, log: Logger, knownRepos?: KnownRepos, queueName: EventQueueName = EVENT_QUEUE): Worker<EventJobData> {
  const processor = async (job: Job<EventJobData>, token?: string): Promise<{ outcomes: Array<{ action: string; result: string }> }> => {
    const parsed = eventJobSchema.safeParse(job.data);
    if (!parsed.success) throw invalidJobError('event job', parsed.error);
    const event = parsed.data.event;
    try {
      // Remembered for the sweep, which looks for tags no webhook announced.
      await knownRepos?.remember(event.repo, event.meta.installationId);
      // A push that touched (or may have touched) a config file: the sweep reads it again.
      if (event.kind === 'branch-pushed' && 'configTouched' in event && event.configTouched !== undefined) await knownRepos?.configChanged?.(event.repo);
      const handled = await handleEvent(event, { ...deps, log: log.child({ jobId: job.id }) });
      return { outcomes: handled.outcomes.map((o) => ({ action: o.action, result: o.result })) };
    } catch (error) {
      await waitOutRateLimit(job, token, error, settings.rateLimitMaxWaitMs, log);
      const final = toWorkerError(error);
      log.warn({ jobId: job.id, code: isAppError(error) ? error.code : 'unexpected', retry: !(final instanceof UnrecoverableError) }, final.message);
      throw final;
    }
  };
  const worker = new GuardedWorker<EventJobData>(queueName, processor, {
    connection,
    prefix: settings.prefix,
    concurrency: Math.max(settings.concurrency, 4),
    lockDuration: settings.lockDurationMs,
    maxStalledCount: 3,
    settings: { backoffStrategy: retryAfterBackoff },
    autorun: false,
  }, log);
  worker.on('error', (error) => log.error({ err: error.message }, 'event worker connection error'));
  return worker;
}
