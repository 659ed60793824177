// The attack of issue 14: code that can reach Redis writes a publish job naming a local
// archive (platform "local", or a forge job whose source is an archive path), and the
// service's worker builds it and uploads it with the service's tokens. The service's
// publish worker takes only jobs whose source it downloads from the forge itself.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, repositoryRefusal, sourceRefusal } from '../../src/jobs/publish-job.js';
import type { PublishJobInput } from '../../src/jobs/publish-job.js';
import type { PublishDeps } from '../../src/jobs/publish-processor.js';
import { createPublishWorker } from '../../src/jobs/publish-worker.js';
import { redisConnection } from '../../src/jobs/queues.js';
import type { Logger } from '../../src/logger.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';

const ARCHIVE = `/tmp/forged-${randomBytes(6).toString('hex')}/source.tar.gz`;
const job = (over: Partial<PublishJobInput>): PublishJobInput => ({
  platform: 'local',
  repo: 'victim/pkg',
  project: 'victim-pkg',
  tag: 'v6.6.6',
  sha: 'a'.repeat(40),
  version: '6.6.6',
  registries: ['pypi'],
  buildTool: 'build',
  source: { kind: 'archive', path: ARCHIVE },
  ...over,
});

const FORGED: ReadonlyArray<[string, PublishJobInput]> = [
  ['platform local with an archive', job({})],
  ['a GitLab job whose source is an archive', job({ platform: 'gitlab', repo: '42', gitlabProjectId: 42 })],
  ['a GitHub job whose source is an archive', job({ platform: 'github', repo: '42', repoPath: 'victim/pkg' })],
  ['platform local naming the forge as its source', job({ source: { kind: 'forge' } })],
  ['a GitLab job naming two projects', job({ platform: 'gitlab', repo: '42', gitlabProjectId: 7, source: { kind: 'forge' } })],
];

describe('sourceRefusal', () => {
  it.each(FORGED)('refuses %s unless local sources were asked for', (_name, input) => {
    const data = { ...input, path: '.', dryRun: false, deliveryId: null } as Parameters<typeof sourceRefusal>[0];
    expect(sourceRefusal(data, 'forge-only')).toMatch(/^job-refused: /);
    expect(sourceRefusal(data, 'forge-only')).not.toContain(ARCHIVE);
    if (data.gitlabProjectId === undefined) expect(sourceRefusal(data, 'forge-or-local')).toBeNull();
  });

  it('takes a forge job whose source is the forge', () => {
    expect(sourceRefusal({ platform: 'gitlab', repo: '42', gitlabProjectId: 42, source: { kind: 'forge' } }, 'forge-only')).toBeNull();
    expect(sourceRefusal({ platform: 'github', repo: '42', source: { kind: 'forge' } }, 'forge-only')).toBeNull();
  });

  it('refuses a GitLab job that would download one project and be authorised as another', () => {
    // The download follows gitlabProjectId, grants and bindings follow repo.
    const forged = { platform: 'gitlab', repo: '42', gitlabProjectId: 7, source: { kind: 'forge' } } as const;
    expect(sourceRefusal(forged, 'forge-only')).toMatch(/^job-refused: the job names two different GitLab projects/);
    expect(sourceRefusal(forged, 'forge-or-local')).toMatch(/^job-refused: /);
  });
});

describe('repositoryRefusal: the job against what the forge says of its repository', () => {
  const forge = { id: '42', path: 'Acme/Sample' };
  it.each([
    ['gitlab', { repo: '42', repoPath: 'acme/sample' }, null],
    ['github', { repo: '42', repoPath: 'ACME/sample' }, null],
    ['local', { repo: '7', repoPath: 'other/thing' }, null],
    // GitLab downloads by the id: a granted path with another project's id.
    ['gitlab', { repo: '42', repoPath: 'victim/pkg' }, /^job-refused: the job's repository id and path are not one GitLab repository/],
    // GitHub downloads by the path: another repository's id, whose names it would publish under.
    ['github', { repo: '7', repoPath: 'acme/sample' }, /^job-refused: the job's repository id and path are not one GitHub repository/],
    ['gitlab', { repo: '42' }, /^job-refused: /],
  ] as const)('%s %o', (platform, job, expected) => {
    const refusal = repositoryRefusal({ platform, ...job }, forge);
    if (expected === null) expect(refusal).toBeNull();
    else {
      expect(refusal).toMatch(expected);
      expect(refusal).not.toMatch(/acme|victim/i);
    }
  });
});

const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closing.length > 0) await closing.pop()?.().catch(() => undefined);
});

describe('the publish worker the service runs (no source option)', () => {
  it.each(FORGED)('fails %s once with job-refused, before asking the forge or building anything', async (_name, input) => {
    const prefix = `{pyrelease-forged-${randomBytes(6).toString('hex')}}`;
    const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-forged');
    const queue = new Queue(PUBLISH_QUEUE, { connection, prefix });
    closing.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    });
    const touched: string[] = [];
    const deps = {
      platformFor: () => Promise.resolve(touched.push('platformFor')).then(() => null),
      build: () => Promise.reject(new Error(String(touched.push('build')))),
    } as unknown as PublishDeps;
    const lines: string[] = [];
    const log: Logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    // Written as the attacker did: straight into the queue, past enqueuePublish.
    await queue.add('publish', input, { jobId: 'forged', attempts: 4 });
    const worker = createPublishWorker(connection, { prefix, concurrency: 1, lockDurationMs: 2000, rateLimitMaxWaitMs: 1000 }, deps, log);
    void worker.run();
    closing.push(() => Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 2000))]));

    const deadline = Date.now() + 5000;
    while ((await queue.getJobState('forged')) !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const stored = await queue.getJob('forged');
    expect({ state: await queue.getJobState('forged'), attempts: stored?.attemptsMade }).toEqual({ state: 'failed', attempts: 1 });
    expect(stored?.failedReason).toMatch(/^job-refused: (this worker builds only sources it downloads from the forge|the job names two different GitLab projects)/);
    expect(touched).toEqual([]);
    expect([stored?.failedReason, ...lines].join('\n')).not.toContain(ARCHIVE);
  });
});

describe('a GitHub job naming a granted path with another repository\'s id', () => {
  it('fails once with job-refused after asking the forge who the path is, before downloading or building', async () => {
    const prefix = `{pyrelease-forged-${randomBytes(6).toString('hex')}}`;
    const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-forged');
    const queue = new Queue(PUBLISH_QUEUE, { connection, prefix });
    closing.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    });
    const touched: string[] = [];
    const repo = memoryPlatform(emptyRepo('main', { id: '42', path: 'acme/sample' }));
    const platform = { ...repo, identity: () => (touched.push('identity'), repo.identity()), downloadArchive: (sha: string, dest: string) => (touched.push('downloadArchive'), repo.downloadArchive(sha, dest)) };
    const deps = {
      platformFor: () => Promise.resolve(platform),
      build: () => Promise.reject(new Error(String(touched.push('build')))),
    } as unknown as PublishDeps;
    const log: Logger = pino({ level: 'silent' });
    await queue.add('publish', job({ platform: 'github', repo: '7', repoPath: 'acme/sample', source: { kind: 'forge' } }), { jobId: 'forged', attempts: 4 });
    const worker = createPublishWorker(connection, { prefix, concurrency: 1, lockDurationMs: 2000, rateLimitMaxWaitMs: 1000 }, deps, log);
    void worker.run();
    closing.push(() => Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 2000))]));

    const deadline = Date.now() + 5000;
    while ((await queue.getJobState('forged')) !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const stored = await queue.getJob('forged');
    expect({ state: await queue.getJobState('forged'), attempts: stored?.attemptsMade }).toEqual({ state: 'failed', attempts: 1 });
    expect(stored?.failedReason).toMatch(/^job-refused: the job's repository id and path are not one GitHub repository/);
    expect(touched).toEqual(['identity']);
  });
});
