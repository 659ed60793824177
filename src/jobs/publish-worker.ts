import { UnrecoverableError } from 'bullmq';
import type { Job, Worker } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import type { Config } from '../config.js';
import { retryAfterBackoff } from './backoff.js';
import { waitOutRateLimit } from './throttle.js';
import { isAppError, isRetryable } from '../errors.js';
import type { Logger } from '../logger.js';
import { GuardedWorker } from './guarded-worker.js';
import { invalidJobError } from './invalid-job-error.js';
import { PUBLISH_QUEUE, publishJobSchema, repositoryRefusal, sourceRefusal } from './publish-job.js';
import type { PublishJobData, SourcePolicy } from './publish-job.js';
import { reportPublished, reportPublishFailed, releaseLinks } from '../service/report-publish.js';
import { runPublishJob } from './publish-processor.js';
import type { PublishDeps, PublishJobResult } from './publish-processor.js';

export interface WorkerSettings {
  readonly prefix: string;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  /** How long a job may wait out rate limits without spending attempts (throttle.ts). */
  readonly rateLimitMaxWaitMs: number;
}

export function workerSettings(config: Pick<Config, 'queuePrefix' | 'workerConcurrency' | 'lockDurationMs' | 'rateLimitMaxWaitMs'>): WorkerSettings {
  return { prefix: config.queuePrefix, concurrency: config.workerConcurrency, lockDurationMs: config.lockDurationMs, rateLimitMaxWaitMs: config.rateLimitMaxWaitMs };
}

/**
 * Turns our error classes into BullMQ's retry decision: permanent failures become
 * UnrecoverableError (no further attempts, reason kept in failedReason), everything
 * else is thrown as is and retried with backoff.
 */
export function toWorkerError(error: unknown): Error {
  if (isRetryable(error)) return error instanceof Error ? error : new Error(String(error));
  const reason = isAppError(error) ? `${error.code}: ${error.message}` : String(error);
  return new UnrecoverableError(reason);
}

export interface PublishWorkerOptions {
  /** 'forge-only' unless a test or tool that enqueues local archives itself says otherwise (publish-job.ts). */
  readonly sources?: SourcePolicy;
}

export function createPublishWorker(connection: RedisClient, settings: WorkerSettings, deps: PublishDeps, log: Logger, options: PublishWorkerOptions = {}): Worker<PublishJobData, PublishJobResult> {
  const sources = options.sources ?? 'forge-only';
  const processor = async (job: Job<PublishJobData>, token?: string): Promise<PublishJobResult> => {
    const parsed = publishJobSchema.safeParse(job.data);
    if (!parsed.success) throw invalidJobError('publish job', parsed.error);
    const data = parsed.data;
    const refusal = sourceRefusal(data, sources);
    if (refusal !== null) {
      log.warn({ jobId: job.id, code: 'job-refused' }, refusal);
      throw new UnrecoverableError(refusal);
    }
    const jobLog = log.child({ attempt: job.attemptsMade + 1, deliveryId: data.deliveryId });
    const platform = data.platform === 'local' ? null : await deps.platformFor(data);
    // Before anything is fetched or built: the forge, not the job, says which repository
    // the job's id (GitLab) or path (GitHub) names. No report on the forge for a forged job.
    let forged: string | null = null;
    try {
      forged = platform === null ? null : repositoryRefusal(data, await platform.identity());
    } catch (error) {
      await waitOutRateLimit(job, token, error, settings.rateLimitMaxWaitMs, jobLog);
      throw toWorkerError(error);
    }
    if (forged !== null) {
      log.warn({ jobId: job.id, code: 'job-refused' }, forged);
      throw new UnrecoverableError(forged);
    }
    let result: PublishJobResult;
    try {
      result = await runPublishJob(job.id ?? 'unknown', data, { ...deps, log: jobLog });
    } catch (error) {
      await waitOutRateLimit(job, token, error, settings.rateLimitMaxWaitMs, jobLog);
      const final = toWorkerError(error);
      const lastAttempt = final instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      jobLog.warn({ jobId: job.id, code: isAppError(error) ? error.code : 'unexpected', retry: !lastAttempt }, final.message);
      if (lastAttempt && platform !== null) {
        await reportPublishFailed(platform, data, final.message).catch((e: unknown) => jobLog.error({ err: (e as Error).message }, 'could not report the failure'));
      }
      throw final;
    }
    if (platform !== null) {
      try {
        await reportPublished(platform, data, result, releaseLinks(data, result, deps.registries, deps.gitlabUrl), jobLog);
      } catch (error) {
        // A transient forge error retries the job (every publish step before it is
        // idempotent); a permanent one must not turn a published release into a failed job.
        if (isRetryable(error)) {
          await waitOutRateLimit(job, token, error, settings.rateLimitMaxWaitMs, jobLog);
          throw error;
        }
        jobLog.error({ jobId: job.id, code: isAppError(error) ? error.code : 'unexpected', err: (error as Error).message }, 'published, but could not report it on the forge');
      }
    }
    return result;
  };
  const worker = new GuardedWorker<PublishJobData, PublishJobResult>(PUBLISH_QUEUE, processor, {
    connection,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: Math.max(1000, Math.floor(settings.lockDurationMs / 2)),
    // A worker may be killed more than once (deploys, OOM); each recovery is safe
    // because every step is idempotent, so allow a few before giving up.
    maxStalledCount: 3,
    settings: { backoffStrategy: retryAfterBackoff },
    autorun: false,
  }, log);
  worker.on('error', (error) => log.error({ err: error.message }, 'worker connection error'));
  return worker;
}
