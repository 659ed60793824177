import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import { retryAfterBackoff } from './backoff.js';
import { waitOutRateLimit } from './throttle.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { handleEvent } from '../service/handle-event.js';
import type { ServiceDeps } from '../service/handle-event.js';
import { EVENT_QUEUE, repoEventSchema } from './event-job.js';
import type { EventJobData, EventQueueName } from './event-job.js';
import type { KnownRepos } from './known-repos.js';
import { toWorkerError } from './publish-worker.js';
import type { WorkerSettings } from './publish-worker.js';

export function createEventWorker(connection: RedisClient, settings: WorkerSettings, deps: ServiceDeps, log: Logger, knownRepos?: KnownRepos, queueName: EventQueueName = EVENT_QUEUE): Worker<EventJobData> {
  const processor = async (job: Job<EventJobData>, token?: string): Promise<{ outcomes: Array<{ action: string; result: string }> }> => {
    const parsed = repoEventSchema.safeParse(job.data.event);
    if (!parsed.success) throw new UnrecoverableError(`job-invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    try {
      // Remembered for the sweep, which looks for tags no webhook announced.
      await knownRepos?.remember(parsed.data.repo, parsed.data.meta.installationId);
      const handled = await handleEvent(parsed.data, { ...deps, log: log.child({ jobId: job.id }) });
      return { outcomes: handled.outcomes.map((o) => ({ action: o.action, result: o.result })) };
    } catch (error) {
      await waitOutRateLimit(job, token, error, settings.rateLimitMaxWaitMs, log);
      const final = toWorkerError(error);
      log.warn({ jobId: job.id, code: isAppError(error) ? error.code : 'unexpected', retry: !(final instanceof UnrecoverableError) }, final.message);
      throw final;
    }
  };
  const worker = new Worker<EventJobData>(queueName, processor, {
    connection,
    prefix: settings.prefix,
    concurrency: Math.max(settings.concurrency, 4),
    lockDuration: settings.lockDurationMs,
    maxStalledCount: 3,
    settings: { backoffStrategy: retryAfterBackoff },
    autorun: false,
  });
  worker.on('error', (error) => log.error({ err: error.message }, 'event worker connection error'));
  return worker;
}
