// The attack of issue 14: code that can reach Redis writes a publish job naming a local
// archive (platform "local", or a forge job whose source is an archive path), and the
// service's worker builds it and uploads it with the service's tokens. The service's
// publish worker takes only jobs whose source it downloads from the forge itself.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, sourceRefusal } from '../../src/jobs/publish-job.js';
import type { PublishJobInput } from '../../src/jobs/publish-job.js';
import type { PublishDeps } from '../../src/jobs/publish-processor.js';
import { createPublishWorker } from '../../src/jobs/publish-worker.js';
import { redisConnection } from '../../src/jobs/queues.js';
import type { Logger } from '../../src/logger.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

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
