import { UnrecoverableError } from 'bullmq';
import type { Job, Worker } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import { retryAfterBackoff } from '../jobs/backoff.js';
import { GuardedWorker } from '../jobs/guarded-worker.js';
import { invalidJobError } from '../jobs/invalid-job-error.js';
import { toWorkerError } from '../jobs/publish-worker.js';
import type { WorkerSettings } from '../jobs/publish-worker.js';
import { waitOutRateLimit } from '../jobs/throttle.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GitlabApi } from '../platforms/gitlab/gitlab-platform.js';
import type { Platform } from '../platforms/platform.js';
import type { SelfHostedConfig, ServiceRepoConfig } from './self-hosted-config.js';
import { SELF_HOSTED_QUEUE } from '../jobs/queue-names.js';
import { scheduleRelease } from './self-hosted-queue.js';
import type { ScheduleContext, SelfHostedJobData } from './self-hosted-queue.js';
import { runTaggingJob, taggingJobSchema } from './tagging-job.js';
import type { TaggingResult } from './tagging-job.js';
import type { RetagImage } from './types.js';
import { pollUpstream } from './upstream-poll.js';
import type { PollSummary } from './upstream-poll.js';

export interface SelfHostedDeps {
  readonly config: SelfHostedConfig;
  /** The client for the upstream GitLab (its own URL and optional token). */
  readonly upstreamApi: GitlabApi;
  readonly platformFor: (repo: ServiceRepoConfig) => Promise<Platform>;
  readonly retagImage: RetagImage | null;
  readonly schedule: Omit<ScheduleContext, 'config'>;
}

/**
 * One worker for the 'self-hosted' queue: `poll` jobs (from the job scheduler) list the
 * upstream and schedule releases; `tag` jobs tag one service repo for one release.
 * Conflicts and skips are results, not failures; transient errors retry with backoff.
 */
export function createSelfHostedWorker(
  connection: RedisClient,
  settings: WorkerSettings,
  deps: SelfHostedDeps,
  log: Logger,
): Worker<SelfHostedJobData, TaggingResult | PollSummary> {
  const ctx: ScheduleContext = { ...deps.schedule, config: deps.config };
  const processor = async (job: Job<SelfHostedJobData>, token?: string): Promise<TaggingResult | PollSummary> => {
    const jobLog = log.child({ queue: SELF_HOSTED_QUEUE, jobId: job.id, attempt: job.attemptsMade + 1 });
    try {
      if (job.name === 'poll') {
        const summary = await pollUpstream(deps.upstreamApi, deps.config, (tag) => scheduleRelease(tag, ctx));
        jobLog.info({ listed: summary.listed, scheduled: summary.scheduled }, 'polled the upstream GitLab');
        return summary;
      }
      const parsed = taggingJobSchema.safeParse(job.data);
      if (!parsed.success) throw invalidJobError('self-hosted tagging job', parsed.error);
      const data = parsed.data;
      const result = await runTaggingJob(data, {
        config: deps.config,
        platformFor: deps.platformFor,
        retagImage: deps.retagImage,
        pin: (sha) => job.updateData({ ...data, pinnedSha: sha }),
        log: jobLog,
      });
      const line = { release: result.release, repo: result.repo, tag: result.tag, sha: result.sha, outcome: result.outcome, reason: result.reason, image: result.image };
      if (result.outcome === 'conflict') jobLog.warn(line, 'self-hosted tag conflict: not moved');
      else jobLog.info(line, `self-hosted tag ${result.outcome}`);
      return result;
    } catch (error) {
      if (error instanceof UnrecoverableError) throw error;
      // A poll comes round again on its schedule; only a tagging job waits out a rate limit.
      if (job.name !== 'poll') await waitOutRateLimit(job, token, error, settings.rateLimitMaxWaitMs, jobLog);
      const final = toWorkerError(error);
      jobLog.warn({ code: isAppError(error) ? error.code : 'unexpected', retry: !(final instanceof UnrecoverableError) }, final.message);
      throw final;
    }
  };
  const worker = new GuardedWorker<SelfHostedJobData, TaggingResult | PollSummary>(SELF_HOSTED_QUEUE, processor, {
    connection,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: Math.max(1000, Math.floor(settings.lockDurationMs / 2)),
    maxStalledCount: 3,
    settings: { backoffStrategy: retryAfterBackoff },
    autorun: false,
  }, log);
  worker.on('error', (error) => log.error({ err: error.message }, 'self-hosted worker connection error'));
  return worker;
}
