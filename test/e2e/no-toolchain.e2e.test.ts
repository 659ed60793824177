import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE } from '../../src/jobs/publish-job.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { runtimePackages } from '../../src/publishing/system-packages.js';
import { eventually, gitlabService, tagPush } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

/**
 * `npm start` on a bare machine, where no Python build toolchain is installed (here: the
 * interpreter builds run, PYRELEASE_BUILD_PYTHON, does not exist). The worker says at
 * start what it needs, with the apt-get line of system-packages/runtime.txt, and takes no
 * publish job; the web part and event handling keep working, and the release waits in
 * the queue for a worker that can build it.
 */
const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-no-toolchain');
let svc: GitlabService | undefined;
afterAll(async () => {
  await svc?.close();
  connection.disconnect();
});

describe('a service whose host has no Python build toolchain', () => {
  it('says what a worker needs at start, serves webhooks and handles events, and leaves releases waiting', { timeout: 60_000 }, async () => {
    svc = await gitlabService({ env: { PYRELEASE_BUILD_PYTHON: '/nonexistent/bin/python3', PYRELEASE_BUILD_SANDBOX: 'off' } });
    const s = svc;
    const errors = s.logLines.map((l) => JSON.parse(l) as { level: number; msg: string; problem?: string }).filter((l) => l.level === 50);
    expect(errors.map((l) => l.msg)).toEqual(['the Python build toolchain is missing: this worker takes no publish job']);
    const packages = (await runtimePackages()) ?? [];
    expect(packages.length).toBeGreaterThan(10);
    expect(errors[0]?.problem).toMatch(new RegExp(`^no build can run without the Python interpreter /nonexistent/bin/python3 \\(not found\\) \\[Debian package python3\\]; .*apt-get install -y --no-install-recommends ${packages.join(' ')}$`));
    expect(s.logLines.find((l) => l.includes('"msg":"worker started"'))).toContain('"builds":"refused"');

    expect((await fetch(`${s.service.url}/readyz`)).status).toBe(200);
    await s.commitFixture('main', 'a'.repeat(40), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: 'a'.repeat(40), message: '', target: 'a'.repeat(40) });
    expect((await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', 'a'.repeat(40)))).body).toMatchObject({ status: 'queued' });

    // The event worker handled the tag: it queued the release, which no worker takes.
    const queue = new Queue(PUBLISH_QUEUE, { connection, prefix: s.env['PYRELEASE_QUEUE_PREFIX'] ?? '' });
    try {
      const waiting = await eventually(async () => ((await queue.getWaitingCount()) > 0 ? queue.getWaiting() : undefined), 20_000, 'a waiting publish job');
      expect(waiting.map((j) => (j.data as { version: string }).version)).toEqual(['1.4.0']);
      await new Promise((r) => setTimeout(r, 3000));
      expect(await queue.getJobCounts('active', 'completed', 'failed', 'waiting')).toEqual({ active: 0, completed: 0, failed: 0, waiting: 1 });
      expect(s.index.uploads).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});
