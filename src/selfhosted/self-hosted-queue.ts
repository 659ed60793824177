import { Queue } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import { selectReleases } from '../core/gitlab-versions.js';
import { SELF_HOSTED_QUEUE } from '../jobs/queue-names.js';
import { jobOptions, withoutErrorEcho } from '../jobs/queues.js';
import type { SelfHostedConfig, ServiceRepoConfig } from './self-hosted-config.js';
import { taggingJobId, taggingJobSchema } from './tagging-job.js';
import type { TaggingJobData } from './tagging-job.js';


export type SelfHostedJobData = TaggingJobData | Record<string, never>;

export function selfHostedQueue(connection: RedisClient, settings: { prefix: string; attempts: number; backoffMs: number }): Queue<SelfHostedJobData> {
  return withoutErrorEcho(new Queue<SelfHostedJobData>(SELF_HOSTED_QUEUE, { connection, prefix: settings.prefix, defaultJobOptions: jobOptions(settings) }));
}

/**
 * The remembered set: the ids of every (release, service repo) tagging job ever
 * scheduled. It outlives the jobs (which BullMQ removes after 30 days), so a release is
 * scheduled once however often the poll or a hook sees it, and a poll after downtime
 * schedules exactly what was missed. Keyed per repo, not per release, so a service
 * repo added to the config later is caught up on every release at or above min-version.
 */
export function handledKey(prefix: string): string {
  return `${prefix}:${SELF_HOSTED_QUEUE}:handled`;
}

export interface ScheduleContext {
  readonly queue: Queue<SelfHostedJobData>;
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly config: SelfHostedConfig;
}

export type ScheduleResult =
  | { readonly tag: string; readonly scheduled: false; readonly reason: string }
  | { readonly tag: string; readonly scheduled: true; readonly jobs: ReadonlyArray<{ readonly jobId: string; readonly repo: string; readonly created: boolean }> };

export function repoKey(repo: Pick<ServiceRepoConfig, 'platform' | 'project'>): string {
  return `${repo.platform}/${repo.project}`;
}

/**
 * The one entry point of both paths (poll and hook): the same selection rule, the same
 * deterministic job ids, the same remembered set.
 */
export async function scheduleRelease(tag: string, ctx: ScheduleContext): Promise<ScheduleResult> {
  const { selected, ignored } = selectReleases([tag], { minVersion: ctx.config.minVersion, allow: ctx.config.allow, includePrereleases: ctx.config.prereleases });
  const release = selected[0];
  if (release === undefined) return { tag, scheduled: false, reason: ignored[0]?.reason ?? 'not selected' };
  const key = handledKey(ctx.prefix);
  const jobs: Array<{ jobId: string; repo: string; created: boolean }> = [];
  for (const repo of ctx.config.repos) {
    const data = taggingJobSchema.parse({ release: release.tag, platform: repo.platform, project: repo.project });
    const jobId = taggingJobId(data);
    if ((await ctx.redis.sismember(key, jobId)) === 1) {
      jobs.push({ jobId, repo: repoKey(repo), created: false });
      continue;
    }
    // BullMQ ignores an add whose id exists; a crash between add and SADD re-adds the
    // same id next time, which is harmless.
    const existed = (await ctx.queue.getJob(jobId)) !== undefined;
    if (!existed) await ctx.queue.add('tag', data, { jobId });
    await ctx.redis.sadd(key, jobId);
    jobs.push({ jobId, repo: repoKey(repo), created: !existed });
  }
  return { tag, scheduled: true, jobs };
}
