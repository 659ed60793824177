// A forged GitLab publish job (issue 14's follow-up): someone who can write to Redis pairs
// a granted project's path with another project's id. Grants match the path, GitLab
// sources are downloaded by the id, so without a check the other project's code would be
// published under the granted path. The worker asks GitLab (the fake, through the real
// @gitbeaker/rest client) which project the id names before it downloads anything.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { PublishJobData, PublishJobInput } from '../../src/jobs/publish-job.js';
import { publishQueue, redisConnection } from '../../src/jobs/queues.js';
import { createGitlabPlatform } from '../../src/platforms/gitlab/gitlab-platform.js';
import type { RedisClient } from '../../src/redis-client.js';
import { parseServerConfig } from '../../src/server-config.js';
import { startWorker } from '../../src/worker.js';
import type { RunningWorker } from '../../src/worker.js';
import { addCommit, addTag } from '../fakes/fake-gitlab-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex } from '../fakes/fake-index.js';
import { copyProject, packForgeArchive } from '../helpers/archive-fixtures.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const SHA = 'c'.repeat(40);
const ARCHIVE_ROUTE = 'GET /projects/:id/repository/archive.tar.gz';

let gitlab: FakeGitlab;
let index: FakeIndex;
let granted: FakeProject;
let other: FakeProject;
let connection: RedisClient;
let queue: Queue<PublishJobData>;
let worker: RunningWorker;
let dataDir: string;
const lines: string[] = [];

beforeAll(async () => {
  const token = `pypi-${randomBytes(24).toString('hex')}`;
  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  index = await startFakeIndex({ users: { __token__: token } });
  gitlab = await startFakeGitlab();
  gitlab.addUser('pyrelease-bot', gitlabToken);
  granted = gitlab.addProject('Acme/Sample', 'main');
  other = gitlab.addProject('other/secret', 'main');
  const archive = await readFile(await packForgeArchive(await copyProject('setuptools-static'), { name: 'sample', sha: SHA }));
  for (const project of [granted, other]) {
    addCommit(project, 'main', SHA, 'Release 1.4.0', {});
    addTag(project, 'v1.4.0', SHA);
    project.archives.set(SHA, archive);
  }
  dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-forged-id-'));
  const prefix = `{pyrelease-forged-id-${randomBytes(6).toString('hex')}}`;
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    PYRELEASE_DATA_DIR: dataDir,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_REGISTRY_FAKE_TOKEN: token,
    PYRELEASE_BUILD_ISOLATION: 'false',
    // What is tested is which source is fetched, not how the build is contained.
    PYRELEASE_BUILD_SANDBOX: 'off',
    PYRELEASE_JOB_ATTEMPTS: '2',
    PYRELEASE_JOB_BACKOFF_MS: '200',
    PYRELEASE_WORKER_CONCURRENCY: '1',
    LOG_LEVEL: 'debug',
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const server = parseServerConfig(`registries:\n  fake:\n    upload-url: ${index.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n    - gitlab: [acme/sample]\n      projects: ['*']\n`);
  if (!server.ok) throw new Error(server.errors.join('; '));
  connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-forged-id');
  queue = publishQueue(connection, { prefix, attempts: 2, backoffMs: 200 });
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  worker = await startWorker({
    config: loaded.config,
    server: server.config,
    log,
    env,
    gitlabUrl: gitlab.url,
    // As composition/forges.ts builds a GitLab job's Platform: by the job's project id.
    platformFor: (data) => Promise.resolve(createGitlabPlatform({ api: { host: gitlab.url, token: gitlabToken }, projectId: data.gitlabProjectId ?? data.repo })),
  });
});

afterAll(async () => {
  await worker.close().catch(() => undefined);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  connection.disconnect();
  await gitlab.close();
  await index.close();
  await rm(dataDir, { recursive: true, force: true });
});

const job = (over: Partial<PublishJobInput>): PublishJobInput => ({
  platform: 'gitlab',
  repo: String(granted.id),
  repoPath: 'acme/sample',
  gitlabProjectId: granted.id,
  project: null,
  tag: 'v1.4.0',
  sha: SHA,
  version: '1.4.0',
  registries: ['fake'],
  buildTool: 'build',
  source: { kind: 'forge' },
  ...over,
});

async function settle(jobId: string): Promise<{ state: string; failedReason: string | undefined; attempts: number | undefined }> {
  const deadline = Date.now() + 60_000;
  let state = await queue.getJobState(jobId);
  while (state !== 'completed' && state !== 'failed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    state = await queue.getJobState(jobId);
  }
  const stored = await queue.getJob(jobId);
  return { state, failedReason: stored?.failedReason, attempts: stored?.attemptsMade };
}

const archiveRequests = (): string[] => gitlab.log.filter((l) => l.route === ARCHIVE_ROUTE).map((l) => l.url);

describe('a GitLab publish job whose project id names another project than its path', () => {
  it('is refused for good before any archive is downloaded, and nothing is uploaded', async () => {
    // Written straight into the queue, as someone holding the Redis password could.
    await queue.add('publish', job({ repo: String(other.id), gitlabProjectId: other.id }) as PublishJobData, { jobId: 'forged-id' });
    expect(await settle('forged-id')).toEqual({
      state: 'failed',
      failedReason: expect.stringMatching(/^job-refused: the job's repository id and path are not one GitLab repository/) as unknown,
      attempts: 1,
    });
    expect(gitlab.log.some((l) => l.route === 'GET /projects/:id' && l.url.startsWith(`/api/v4/projects/${other.id}`))).toBe(true);
    expect(archiveRequests()).toEqual([]);
    expect(index.uploads).toEqual([]);
    // The forged project's path is the operator's to look up, not written into the reason.
    expect([(await queue.getJob('forged-id'))?.failedReason, ...lines].join('\n')).not.toContain('other/secret');
  });

  it('a job of the granted project, its path in another case, still publishes', async () => {
    await queue.add('publish', job({}) as PublishJobData, { jobId: 'genuine' });
    expect(await settle('genuine')).toMatchObject({ state: 'completed' });
    expect(archiveRequests()).toEqual([`/api/v4/projects/${granted.id}/repository/archive.tar.gz?sha=${SHA}`]);
    expect(index.files().map((f) => f.filename).sort()).toEqual(['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl']);
  });
});
