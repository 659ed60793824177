import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { main } from '../../src/cli.js';
import { describeEvent } from '../../src/cli/event-rows.js';
import type { RepoEvent } from '../../src/core/events.js';
import { AppError, rateLimitDetails } from '../../src/errors.js';
import { pushEvent } from '../../src/jobs/event-inbox.js';
import { GITHUB_EVENT_QUEUE, eventJobId } from '../../src/jobs/event-job.js';
import { eventQueue } from '../../src/jobs/event-queue.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { waitOutRateLimit } from '../../src/jobs/throttle.js';
import { captureIo } from '../helpers/cli-io.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { tagPushedEvent } from '../helpers/repo-events.js';

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-jobs-command');
const prefix = `{pyrelease-jobs-cli-${randomBytes(5).toString('hex')}}`;
const env = { REDIS_URL: TEST_REDIS_URL, PYRELEASE_QUEUE_PREFIX: prefix };

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function run(args: string[]) {
  const io = captureIo({ env });
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function pullRequest(deliveryId: string, number: number): RepoEvent {
  return {
    kind: 'change-request',
    repo: { platform: 'github', id: '77', path: 'octo/pkg', defaultBranch: 'main' },
    action: 'opened',
    number,
    sourceBranch: 'feature',
    targetBranch: 'main',
    headSha: 'b'.repeat(40),
    sameRepo: true,
    meta: { deliveryId, installationId: 5 },
  };
}

describe('pyrelease jobs --events', () => {
  it('says so when no webhook has come in', async () => {
    const r = await run(['jobs', '--events']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('no webhook deliveries\n');
  });

  it('lists deliveries still in the inbox and the event jobs made from them, newest first', async () => {
    const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-jobs-command-queue');
    const github = eventQueue(connection, { prefix, attempts: 1, backoffMs: 10 }, GITHUB_EVENT_QUEUE);
    try {
      // A job a worker already made from an earlier delivery, failed for good.
      const pr = pullRequest('delivery-pr-3', 3);
      await github.add('change-request', { event: pr }, { jobId: eventJobId(pr) });
      const worker = new Worker(GITHUB_EVENT_QUEUE, () => Promise.reject(new Error('GitHub refused the comment (403)')), { connection: redisConnection(TEST_REDIS_URL, 'pyrelease-test-jobs-command-worker'), prefix });
      await new Promise((resolve) => worker.once('failed', resolve));
      await worker.close();
      await new Promise((r) => setTimeout(r, 5));
      // A delivery answered 200 that no worker has taken yet.
      await pushEvent(redis, prefix, tagPushedEvent('delivery-tag-1', 'v2.0.0'));

      const r = await run(['jobs', '--events']);
      expect(r.code).toBe(0);
      const lines = r.out.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}inbox {6}gitlab:a\/b tag v2\.0\.0 {2}attempts=0 {2}delivery=delivery-tag-1 {2}\S+$/);
      expect(lines[1]).toMatch(/failed {5}github:octo\/pkg PR #3 opened {2}attempts=\d {2}delivery=delivery-pr-3 {2}\S+ {2}GitHub refused the comment \(403\)$/);

      const json = (await run(['jobs', '--events', '--json'])).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(json.map((j) => [j['state'], j['queue'], j['delivery']])).toEqual([
        ['inbox', 'inbox', 'delivery-tag-1'],
        ['failed', GITHUB_EVENT_QUEUE, 'delivery-pr-3'],
      ]);
      expect(json[1]?.['id']).toBe(eventJobId(pr));
    } finally {
      await github.close();
      connection.disconnect();
    }
  });

  it('says until when a job waits out a rate limit, and why', async () => {
    const limitedPrefix = `{pyrelease-jobs-cli-limited-${randomBytes(4).toString('hex')}}`;
    const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-jobs-command-limited');
    const github = eventQueue(connection, { prefix: limitedPrefix, attempts: 2, backoffMs: 10 }, GITHUB_EVENT_QUEUE);
    const worker = new Worker(
      GITHUB_EVENT_QUEUE,
      async (job, token) => {
        const limited = new AppError('forge-unavailable', 'GitHub rate-limited creating a comment (403)', { retryable: true, details: rateLimitDetails(1200) });
        await waitOutRateLimit(job, token, limited, 3600_000, pino({ level: 'silent' }));
      },
      { connection: redisConnection(TEST_REDIS_URL, 'pyrelease-test-jobs-command-limited-worker'), prefix: limitedPrefix },
    );
    try {
      const pr = pullRequest('delivery-pr-9', 9);
      await github.add('change-request', { event: pr }, { jobId: eventJobId(pr) });
      while ((await github.getJobState(eventJobId(pr))) !== 'delayed') await new Promise((r) => setTimeout(r, 20));
      const io = captureIo({ env: { ...env, PYRELEASE_QUEUE_PREFIX: limitedPrefix } });
      expect(await main(['jobs', '--events'], io)).toBe(0);
      expect(io.stdout()).toMatch(/delayed {4}github:octo\/pkg PR #9 opened {2}attempts=0 {2}delivery=delivery-pr-9 {2}\S+ {2}rate-limited, runs again at \d{4}-[\d-]+T[\d:.]+Z: forge-unavailable: GitHub rate-limited creating a comment \(403\)\n$/);
      const json = captureIo({ env: { ...env, PYRELEASE_QUEUE_PREFIX: limitedPrefix } });
      await main(['jobs', '--events', '--json'], json);
      const row = JSON.parse(json.stdout()) as { rateLimited: { until: string } };
      // Retry-After 1200 s from when the job ran.
      expect(Date.parse(row.rateLimited.until) - Date.now()).toBeGreaterThan(1_100_000);
    } finally {
      await worker.close();
      await github.obliterate({ force: true });
      await github.close();
      connection.disconnect();
    }
  });

  it('refuses a --limit that is not a whole number above 0', async () => {
    const r = await run(['jobs', '--events', '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--limit');
  });
});

describe('pyrelease jobs on a Redis that refuses a read', () => {
  it('says so in one line, with Redis\'s own words, and exits 1', async () => {
    const broken = `{pyrelease-jobs-cli-broken-${randomBytes(4).toString('hex')}}`;
    // The inbox key holding a string, not a stream: XREVRANGE gets WRONGTYPE.
    await redis.set(`${broken}:inbox:events`, 'not a stream');
    try {
      const io = captureIo({ env: { ...env, PYRELEASE_QUEUE_PREFIX: broken } });
      expect(await main(['jobs', '--events'], io)).toBe(1);
      expect(io.stderr()).toMatch(/^pyrelease jobs: Redis refused a read: WRONGTYPE [^\n]*\n$/);
      expect(io.stdout()).toBe('');
    } finally {
      await redis.del(`${broken}:inbox:events`);
    }
  });
});

describe('describeEvent', () => {
  it('names each kind of delivery as its forge does', () => {
    expect(describeEvent(tagPushedEvent('d', 'v1.2.3'))).toEqual({ repo: 'gitlab:a/b', what: 'tag v1.2.3', delivery: 'd' });
    expect(describeEvent(pullRequest('d', 12)).what).toBe('PR #12 opened');
    const mr = { ...pullRequest('d', 12), action: 'updated', repo: { platform: 'gitlab', id: '1', path: 'g/p', defaultBranch: 'main' } } as RepoEvent;
    expect(describeEvent(mr).what).toBe('MR !12 updated');
    const branch: RepoEvent = { kind: 'branch-pushed', repo: { platform: 'gitlab', id: '1', path: 'g/p', defaultBranch: 'main' }, branch: 'main', sha: 'c'.repeat(40), headMessage: '1.2.3', meta: { deliveryId: 'd', installationId: null } };
    expect(describeEvent(branch).what).toBe('branch main');
  });

  it('says unreadable for an entry whose payload did not parse', () => {
    expect(describeEvent(null)).toEqual({ repo: '?', what: 'unreadable', delivery: '' });
  });
});
