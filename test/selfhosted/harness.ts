import { randomBytes } from 'node:crypto';
import { Gitlab } from '@gitbeaker/rest';
import type { Worker } from 'bullmq';
import type { RedisClient } from '../../src/redis-client.js';
import { pino } from 'pino';
import { redisConnection } from '../../src/jobs/queues.js';
import { createGitlabPlatform } from '../../src/platforms/gitlab/gitlab-platform.js';
import type { GitlabApi } from '../../src/platforms/gitlab/gitlab-platform.js';
import { parseServerConfig } from '../../src/server-config.js';
import type { SelfHostedConfig } from '../../src/selfhosted/self-hosted-config.js';
import { scheduleRelease, selfHostedQueue } from '../../src/selfhosted/self-hosted-queue.js';
import type { ScheduleResult, SelfHostedJobData } from '../../src/selfhosted/self-hosted-queue.js';
import { createSelfHostedWorker } from '../../src/selfhosted/self-hosted-worker.js';
import type { TaggingResult } from '../../src/selfhosted/tagging-job.js';
import type { RetagImage, RetagRequest } from '../../src/selfhosted/types.js';
import { pollUpstream } from '../../src/selfhosted/upstream-poll.js';
import type { PollSummary } from '../../src/selfhosted/upstream-poll.js';
import { addCommit, addTag } from '../fakes/fake-gitlab-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { upstreamTagRoutes } from './fake-upstream-routes.js';

export const TEST_REDIS_URL = process.env['PYRELEASE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const TOKEN = `glpat-${randomBytes(12).toString('hex')}`;

let shaCounter = 0;
export function nextSha(): string {
  return (++shaCounter).toString(16).padStart(40, '0');
}

/**
 * gitlab-org/gitlab's tag history from v17.10.0-ee to v18.5.0-rc42-ee: for each minor
 * an RC, the .0 and a few patches; patches of older lines land after newer releases,
 * as GitLab's security releases do.
 */
export const HISTORY: readonly string[] = (() => {
  const tags: string[] = [];
  const minors: Array<[number, number, number]> = [[17, 10, 8], [17, 11, 7], [18, 0, 6], [18, 1, 6], [18, 2, 5], [18, 3, 4], [18, 4, 2]];
  for (const [major, minor, patches] of minors) {
    for (const rc of [1, 2, 42]) tags.push(`v${major}.${minor}.0-rc${rc}-ee`);
    for (let p = 0; p <= patches; p++) tags.push(`v${major}.${minor}.${p}-ee`);
  }
  tags.push('v18.5.0-rc1-ee', 'v18.5.0-rc42-ee');
  return tags;
})();

export function releaseTagUpstream(upstream: FakeProject, tag: string): void {
  const sha = addCommit(upstream, 'master', nextSha(), `Update VERSION to ${tag}`, { VERSION: tag });
  addTag(upstream, tag, sha);
}

export interface ServiceRepoSpec {
  readonly project: string;
  readonly yaml?: string;
}

export interface Harness {
  readonly gitlab: FakeGitlab;
  readonly upstream: FakeProject;
  readonly repos: Record<string, FakeProject>;
  readonly config: SelfHostedConfig;
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly retags: RetagRequest[];
  readonly api: GitlabApi;
  schedule(tag: string): Promise<ScheduleResult>;
  poll(): Promise<PollSummary>;
  start(): void;
  idle(timeoutMs?: number): Promise<void>;
  results(): Promise<Array<{ id: string; state: string; attempts: number; result: TaggingResult | null; failedReason: string | null }>>;
  close(): Promise<void>;
}

export async function selfHostedHarness(options: { sectionYaml: (url: string) => string; repos: readonly string[]; retag?: RetagImage; gitlab?: FakeGitlab }): Promise<Harness> {
  const gitlab = options.gitlab ?? (await startFakeGitlab({ routes: upstreamTagRoutes }));
  if (options.gitlab === undefined) gitlab.addUser('pyrelease-bot', TOKEN);
  const upstream = gitlab.state.projects.find((p) => p.pathWithNamespace === 'gitlab-org/gitlab') ?? gitlab.addProject('gitlab-org/gitlab', 'master');
  if (upstream.tags.size === 0) for (const tag of HISTORY) releaseTagUpstream(upstream, tag);
  const repos: Record<string, FakeProject> = {};
  for (const path of options.repos) {
    const existing = gitlab.state.projects.find((p) => p.pathWithNamespace === path);
    const project = existing ?? gitlab.addProject(path, 'main');
    if (existing === undefined) addCommit(project, 'main', nextSha(), 'initial', { 'README.md': path });
    repos[path] = project;
  }
  const parsed = parseServerConfig(options.sectionYaml(gitlab.url));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const config = parsed.config.selfHosted;
  if (config === null) throw new Error('no self-hosted section');
  const prefix = `{pyrelease-test-${randomBytes(6).toString('hex')}}`;
  const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-selfhosted');
  const queue = selfHostedQueue(redis, { prefix, attempts: 6, backoffMs: 50 });
  const api = new Gitlab({ host: gitlab.url, token: TOKEN }) as GitlabApi;
  const retags: RetagRequest[] = [];
  const retag: RetagImage = async (request) => {
    retags.push(request);
    return options.retag === undefined ? 'copied' : options.retag(request);
  };
  const ctx = { queue, redis, prefix, config };
  const workerConnection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-selfhosted-worker');
  const log = pino({ level: 'silent' });
  const worker: Worker = createSelfHostedWorker(
    workerConnection,
    { prefix, concurrency: 1, lockDurationMs: 4000, rateLimitMaxWaitMs: 60_000 },
    {
      config,
      upstreamApi: api,
      platformFor: async (repo) => createGitlabPlatform({ api, projectId: repo.project }),
      retagImage: retag,
      schedule: { queue, redis, prefix },
    },
    log,
  );
  return {
    gitlab,
    upstream,
    repos,
    config,
    redis,
    prefix,
    retags,
    api,
    schedule: (tag) => scheduleRelease(tag, ctx),
    poll: () => pollUpstream(api, config, (tag) => scheduleRelease(tag, ctx)),
    start: () => void worker.run(),
    async idle(timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const c = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
        if (Object.values(c).every((n) => n === 0)) return;
        if (Date.now() > until) throw new Error(`queue not idle: ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async results() {
      const jobs = await queue.getJobs(['completed', 'failed']);
      const rows = [];
      for (const job of jobs) {
        const state = await job.getState();
        rows.push({ id: job.id ?? '', state, attempts: job.attemptsMade, result: (job.returnvalue as TaggingResult | null) ?? null, failedReason: job.failedReason ?? null });
      }
      return rows.sort((a, b) => a.id.localeCompare(b.id));
    },
    async close() {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await redis.del(`${prefix}:self-hosted:handled`);
      redis.disconnect();
      workerConnection.disconnect();
      if (options.gitlab === undefined) await gitlab.close();
    },
  };
}

export function section(url: string, body: string): string {
  return `self-hosted:\n  upstream:\n    url: ${url}\n    project: gitlab-org/gitlab\n${body}`;
}

export type { SelfHostedJobData };
