import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE } from '../../src/jobs/publish-job.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { watchProcess } from '../helpers/worker-process.js';

/**
 * PYRELEASE_BUILD_SANDBOX=required on a host that cannot contain builds: here bubblewrap
 * is out of reach (PATH names only an empty directory; node is started by its full path). The worker must say so and leave
 * publish jobs waiting for a worker that can build them, neither building uncontained
 * nor failing them.
 */
const prefix = `{pyrelease-refuses-${randomBytes(6).toString('hex')}}`;
const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-refuses');
const queue = new Queue(PUBLISH_QUEUE, { connection, prefix });
let dataDir = '';
const BIN = new URL('../../bin/pyrelease.js', import.meta.url).pathname;

afterAll(async () => {
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  connection.disconnect();
  if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
});

describe('a worker that must contain builds and cannot', () => {
  it('logs what is missing, takes no publish job, and stops cleanly', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-refuses-'));
    const worker = watchProcess(spawn('unshare', ['-r', '--', process.execPath, BIN, 'worker'], { stdio: ['ignore', 'pipe', 'pipe'], env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      REDIS_URL: TEST_REDIS_URL,
      PYRELEASE_QUEUE_PREFIX: prefix,
      PYRELEASE_DATA_DIR: dataDir,
      PYRELEASE_BUILD_SANDBOX: 'required',
      PYRELEASE_SWEEP_INTERVAL_MS: '0',
      LOG_LEVEL: 'info',
    } }));
    try {
      const refused = JSON.parse(await worker.waitForLine(/takes no publish job/, 20_000)) as { level: number; problem: string };
      expect(refused.level).toBe(50);
      expect(refused.problem).toMatch(/^preparing a contained run failed .*docs\/security\.md$/);
      expect(JSON.parse(await worker.waitForLine(/"msg":"worker started"/, 20_000))).toMatchObject({ builds: 'refused' });

      await queue.add(
        'publish',
        { platform: 'gitlab', repo: '42', repoPath: 'acme/sample', gitlabProjectId: 42, version: '1.4.0', project: 'sample', tag: 'v1.4.0', sha: 'a'.repeat(40), registries: ['pypi'], buildTool: 'build', source: { kind: 'forge' } },
        { jobId: 'waits' },
      );
      // Long enough for a running worker to have taken it (it polls with a blocking read).
      await new Promise((r) => setTimeout(r, 3000));
      expect(await queue.getJobState('waits')).toBe('waiting');
      expect(worker.lines.some((l) => /"jobId":"waits"/.test(l))).toBe(false);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
  });
});
