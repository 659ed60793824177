import type { Queue } from 'bullmq';
import semver from 'semver';
import { z } from 'zod';
import { parseGitlabTag, selectReleases } from '../core/gitlab-versions.js';
import { AppError } from '../errors.js';
import type { GitlabApi } from '../platforms/gitlab/gitlab-platform.js';
import { translated } from '../platforms/gitlab/gitlab-errors.js';
import type { SelfHostedConfig } from './self-hosted-config.js';
import type { ScheduleResult, SelfHostedJobData } from './self-hosted-queue.js';

export const POLL_SCHEDULER_ID = 'upstream-poll';
const PER_PAGE = 100;
// gitlab-org/gitlab has a few thousand tags; with version order the loop stops after
// one or two pages, the cap only bounds a misbehaving server.
const MAX_PAGES = 50;

const tagList = z.array(z.looseObject({ name: z.string() }));
const releaseList = z.array(z.looseObject({ tag_name: z.string() }));

/**
 * The pull path's schedule: one repeatable job (BullMQ 6 job scheduler, upserted, so
 * every process may call this at start and a changed interval replaces the old one).
 */
export async function ensurePollScheduler(queue: Queue<SelfHostedJobData>, config: SelfHostedConfig): Promise<void> {
  await queue.upsertJobScheduler(POLL_SCHEDULER_ID, { every: config.upstream.pollIntervalMs }, { name: 'poll', data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } });
}

function belowMin(tag: string, min: string): boolean | null {
  const parsed = parseGitlabTag(tag);
  if (!parsed.ok) return null;
  return semver.lt(parsed.release.version.replace(/-rc(\d+)$/, '-rc.$1'), min);
}

/**
 * Upstream tag names, newest first, page by page until a page holds nothing at or above
 * min-version. Tags are asked for in version order (doc/api/tags.md order_by=version);
 * releases in released_at order, where an old line's late patch can sit between new
 * releases, hence "a whole page below the minimum", not "the first tag below it".
 */
export async function listUpstreamTags(api: GitlabApi, config: SelfHostedConfig): Promise<string[]> {
  const { project, source } = config.upstream;
  const min = semver.valid(config.minVersion.replace(/-rc(\d+)$/, '-rc.$1')) ?? '0.0.0';
  const names: string[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    let batch: string[];
    if (source === 'tags') {
      const raw = await translated('list upstream tags', () => api.Tags.all(project, { orderBy: 'version', sort: 'desc', page, perPage: PER_PAGE }));
      batch = parseOrThrow(tagList, raw).map((t) => t.name);
    } else {
      const raw = await translated('list upstream releases', () => api.ProjectReleases.all(project, { orderBy: 'released_at', sort: 'desc', page, perPage: PER_PAGE }));
      batch = parseOrThrow(releaseList, raw).map((r) => r.tag_name);
    }
    names.push(...batch);
    const verdicts = batch.map((t) => belowMin(t, min)).filter((v) => v !== null);
    if (batch.length < PER_PAGE || (verdicts.length > 0 && verdicts.every((below) => below))) break;
  }
  return names;
}

function parseOrThrow<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new AppError('forge-unavailable', "the upstream GitLab's list has an unexpected shape", { retryable: true });
}

export interface PollSummary {
  readonly listed: number;
  readonly scheduled: readonly string[];
}

/** One poll: list, then schedule every tag oldest first (stable branches before their patches). */
export async function pollUpstream(api: GitlabApi, config: SelfHostedConfig, schedule: (tag: string) => Promise<ScheduleResult>): Promise<PollSummary> {
  const tags = await listUpstreamTags(api, config);
  const { selected } = selectReleases(tags, { minVersion: config.minVersion, allow: config.allow, includePrereleases: config.prereleases });
  const scheduled: string[] = [];
  for (const { tag } of selected) {
    const r = await schedule(tag);
    if (r.scheduled && r.jobs.some((j) => j.created)) scheduled.push(tag);
  }
  return { listed: tags.length, scheduled };
}
