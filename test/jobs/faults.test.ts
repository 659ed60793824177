// The queue under faults: a worker killed mid-upload, Redis restarted mid-release, an
// index that hangs, throttles or refuses, a hostile archive, and a graceful stop. Real
// Redis, real worker processes (the compiled `pyrelease worker`), real builds; the index
// is the fake on 127.0.0.1. Every release case ends with "each file on the index once".
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { PublishJobData, PublishJobInput } from '../../src/jobs/publish-job.js';
import { enqueuePublish, publishQueue, redisConnection } from '../../src/jobs/queues.js';
import { parseServerConfig } from '../../src/server-config.js';
import { startWorker } from '../../src/worker.js';
import { addCommit, addTag } from '../fakes/fake-gitlab-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import { hookUploads } from '../fakes/fake-index-hooks.js';
import type { UploadHooks } from '../fakes/fake-index-hooks.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex } from '../fakes/fake-index.js';
import { copyProject, packForgeArchive, writeRawArchive } from '../helpers/archive-fixtures.js';
import { publishHarness, TEST_REDIS_URL } from '../helpers/publish-harness.js';
import type { PublishHarness } from '../helpers/publish-harness.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { runCli, spawnWorker } from '../helpers/worker-process.js';

const FILES = ['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl'];
let archive = '';
beforeAll(async () => {
  archive = await packForgeArchive(await copyProject('setuptools-static'), { name: 'setuptools-static', sha: 'a'.repeat(40) });
});

const release = (over: Partial<PublishJobInput> = {}): PublishJobInput => ({
  platform: 'local',
  repo: 'acme/sample',
  project: null,
  tag: 'v1.4.0',
  sha: 'a'.repeat(40),
  registries: ['fake'],
  buildTool: 'build',
  version: '1.4.0',
  source: { kind: 'archive', path: archive },
  ...over,
});

/** Successful uploads per file name, as the index saw them. */
function uploadsPerFile(index: FakeIndex): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of index.uploads) if (u.filename !== null && u.status >= 200 && u.status < 300) counts[u.filename] = (counts[u.filename] ?? 0) + 1;
  return counts;
}

function expectEachFileOnce(index: FakeIndex): void {
  expect(uploadsPerFile(index)).toEqual(Object.fromEntries(FILES.map((f) => [f, 1])));
  expect(index.files().map((f) => f.filename).sort()).toEqual(FILES);
}

/** Polls the job's state (QueueEvents may miss events across a Redis restart). */
async function settled(queue: Queue<PublishJobData>, jobId: string, timeoutMs = 60_000): Promise<{ state: string; job: Job<PublishJobData> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // State first, then the record: read the other way round, a job finishing in
    // between shows 'completed' with the return value of before.
    const state = await queue.getJobState(jobId);
    const job = state === 'completed' || state === 'failed' ? await queue.getJob(jobId) : undefined;
    if (job !== undefined) return { state, job };
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fake index behind the upload hooks, a unique queue on the shared Redis, and the env of a worker process. */
interface ProcessRig {
  readonly index: FakeIndex;
  readonly hooks: UploadHooks;
  readonly queue: Queue<PublishJobData>;
  readonly env: Record<string, string>;
  readonly token: string;
  /**
   * A release of acme/sample as the service queues it: the worker process builds only
   * what it downloads from the forge (publish-job.ts), so each release's archive is put
   * at its commit in a fake GitLab first.
   */
  release(over?: Partial<PublishJobInput> & { archive?: string }): Promise<PublishJobInput>;
}

async function processRig(): Promise<ProcessRig> {
  const token = `pypi-${randomBytes(24).toString('hex')}`;
  const index = await startFakeIndex({ users: { __token__: token } });
  const hooks = await hookUploads(index.uploadUrl);
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-faults-'));
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, `registries:\n  fake:\n    upload-url: ${hooks.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n    - local: [acme/sample]\n      gitlab: [acme/sample]\n      projects: ['*']\n`);
  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  const gitlab = await startFakeGitlab();
  gitlab.addUser('pyrelease-bot', gitlabToken);
  const project = gitlab.addProject('acme/sample', 'main');
  const prefix = `{pyrelease-faults-${randomBytes(6).toString('hex')}}`;
  const env = {
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlabToken,
    GITLAB_WEBHOOK_SECRET: randomBytes(16).toString('hex'),
    REDIS_URL: TEST_REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_DATA_DIR: join(dir, 'data'),
    PYRELEASE_CONFIG: configFile,
    PYRELEASE_REGISTRY_FAKE_TOKEN: token,
    PYRELEASE_BUILD_ISOLATION: 'false',
    PYRELEASE_LOCK_DURATION_MS: '3000',
    PYRELEASE_JOB_ATTEMPTS: '4',
    PYRELEASE_JOB_BACKOFF_MS: '200',
    PYRELEASE_WORKER_CONCURRENCY: '1',
    LOG_LEVEL: 'info',
  };
  const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-faults');
  const queue = publishQueue(connection, { prefix, attempts: 4, backoffMs: 200 });
  onTestFinished(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await connection.del(`${prefix}:ledger:fake`);
    await queue.close();
    connection.disconnect();
    await hooks.close();
    await index.close();
    await gitlab.close();
    await rm(dir, { recursive: true, force: true });
  });
  const forgeRelease = async ({ archive: path = archive, ...over }: Partial<PublishJobInput> & { archive?: string } = {}): Promise<PublishJobInput> => {
    const input = release({ platform: 'gitlab', repo: String(project.id), repoPath: 'acme/sample', gitlabProjectId: project.id, source: { kind: 'forge' }, ...over });
    addCommit(project, 'main', input.sha, `Release ${input.version}`, {});
    addTag(project, `v${input.version}`, input.sha);
    project.archives.set(input.sha, await readFile(path));
    return input;
  };
  return { index, hooks, queue, env, token, release: forgeRelease };
}

describe('a worker process killed in the middle of a release', () => {
  it.each([
    // The wheel's upload is in flight (the index has not stored it) when the worker dies.
    ['mid-upload', 'hold', 'uploaded'],
    // The index stored the wheel, the answer never reached the worker, which dies before the sdist.
    ['after the first file is stored', 'lose-answer', 'skipped'],
  ] as const)('SIGKILL %s: a second worker takes the stalled job over and each file lands once', async (_name, plan, wheelOutcome) => {
    const rig = await processRig();
    rig.hooks.plan(plan);
    const first = await spawnWorker(rig.env);
    onTestFinished(() => first.kill('SIGKILL'));
    const { jobId } = await enqueuePublish(rig.queue, await rig.release());
    const arrival = await rig.hooks.arrival(1);
    if (plan === 'lose-answer') expect(await arrival.upstreamDone).toBe(200);
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(rig.index.files()).toHaveLength(plan === 'hold' ? 0 : 1);

    const second = await spawnWorker(rig.env);
    onTestFinished(() => second.kill('SIGKILL'));
    const { state, job } = await settled(rig.queue, jobId);
    expect(state).toBe('completed');
    const files = (job.returnvalue as { files: Array<{ filename: string; outcome: string }> }).files;
    expect(files.map((f) => f.outcome)).toEqual([wheelOutcome, 'uploaded']);
    expectEachFileOnce(rig.index);
    // The second worker reused the first one's build (same sha256, hence 'skipped').
    expect(second.lines.some((l) => l.includes('reusing the files built by an earlier attempt'))).toBe(true);
  });
});

describe('Redis restarted while a release is running', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('completes the job, from the append-only file, with each file on the index once', async () => {
    // After the restart BullMQ's close can wait forever for its blocking connection
    // (close-within.ts): a short shutdown grace keeps the cleanup bounded.
    const h = await publishHarness({ redisUrl: redis.url, env: { PYRELEASE_SHUTDOWN_GRACE_MS: '5000' } });
    // The harness hands QueueEvents a connection of its own, which events.close() leaves open.
    const eventsClient = h.events.opts.connection as Redis;
    onTestFinished(async () => {
      await h.close();
      eventsClient.disconnect();
    });
    // While Redis is down every client reports connection errors; they are expected here.
    const ignore = (): void => undefined;
    h.queue.on('error', ignore);
    h.events.on('error', ignore);
    h.connection.on('error', ignore);
    eventsClient.on('error', ignore);
    const hooks = await hookUploads(h.index.uploadUrl);
    onTestFinished(() => hooks.close());
    const server = parseServerConfig(`registries:\n  fake:\n    upload-url: ${hooks.uploadUrl}\n    simple-url: ${h.index.simpleUrl}\npublishers:\n  fake:\n    - local: [acme/sample]\n      projects: ['*']\n`);
    if (!server.ok) throw new Error(server.errors.join('; '));
    const logLines: string[] = [];
    const running = await startWorker({ config: h.config, server: server.config, log: pino({ level: 'debug' }, { write: (l: string) => void logLines.push(l) }), env: h.env, sources: 'forge-or-local' });
    onTestFinished(() => running.close());

    hooks.plan('gate');
    const jobId = await h.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const arrival = await hooks.arrival(1);
    await redis.stop();
    // Down long enough for every client to notice (ioredis retries every 50-2000 ms),
    // short of the 4 s lock, so that this is a restart and not a stalled job.
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    arrival.release();

    const { state, job } = await settled(h.queue, jobId);
    expect(state).toBe('completed');
    // The worker did see Redis go away, and the job came through it on its first attempt.
    expect(logLines.some((l) => l.includes('"msg":"worker connection error"'))).toBe(true);
    expect(job.attemptsMade).toBe(1);
    expect((job.returnvalue as { files: Array<{ outcome: string }> }).files.map((f) => f.outcome)).toEqual(['uploaded', 'uploaded']);
    expectEachFileOnce(h.index);
  });

  it('enqueuing while Redis is down either waits for it or rejects; it never loses the job silently', async () => {
    const prefix = `{pyrelease-faults-${randomBytes(6).toString('hex')}}`;
    // The worker's connection (maxRetriesPerRequest: null) queues commands until Redis is back.
    const patient = redisConnection(redis.url, 'pyrelease-faults-patient');
    patient.on('error', () => undefined);
    // A web handler's connection should fail fast instead, so the webhook answers 5xx and is redelivered.
    const impatient = new Redis(redis.url, { maxRetriesPerRequest: 1, connectionName: 'pyrelease-faults-impatient' });
    impatient.on('error', () => undefined);
    const settings = { redisUrl: redis.url, prefix, attempts: 1, backoffMs: 0 };
    const patientQueue = publishQueue(patient, settings);
    const impatientQueue = publishQueue(impatient, settings);
    for (const q of [patientQueue, impatientQueue]) q.on('error', () => undefined);
    onTestFinished(async () => {
      await patientQueue.obliterate({ force: true }).catch(() => undefined);
      await Promise.all([patientQueue.close(), impatientQueue.close()]);
      patient.disconnect();
      impatient.disconnect();
    });
    await Promise.all([patientQueue.waitUntilReady(), impatientQueue.waitUntilReady()]);

    await redis.stop();
    const waiting = enqueuePublish(patientQueue, release({ version: '2.0.0' }));
    let waitedOut = false;
    void waiting.then(() => (waitedOut = true), () => (waitedOut = true));
    await expect(enqueuePublish(impatientQueue, release({ version: '3.0.0' }))).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect(waitedOut).toBe(false);

    await redis.start();
    expect((await waiting).created).toBe(true);
    while (impatient.status !== 'ready') await new Promise((r) => setTimeout(r, 50));
    expect((await enqueuePublish(impatientQueue, release({ version: '3.0.0' }))).created).toBe(true);
    const versions = (await patientQueue.getJobs(['waiting'])).map((j) => j.data.version).sort();
    expect(versions).toEqual(['2.0.0', '3.0.0']);
  });
});

describe('an index that hangs, throttles or refuses', () => {
  let h: PublishHarness | undefined;
  const harness = async (env: Record<string, string> = {}): Promise<PublishHarness> => {
    h = await publishHarness({ env: { LOG_LEVEL: 'info', ...env } });
    onTestFinished(async () => {
      await h?.close();
      h = undefined;
    });
    await h.startWorker();
    return h;
  };

  it('retries an upload that outlives PYRELEASE_UPLOAD_TIMEOUT_MS and publishes each file once', async () => {
    const t = await harness({ PYRELEASE_UPLOAD_TIMEOUT_MS: '1500' });
    t.index.fail(1, { status: 500, hang: true });
    const jobId = await t.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const { state, job } = await settled(t.queue, jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    // The hung request never got a status; the retry uploaded both files.
    expect(t.index.uploads.map((u) => u.status)).toEqual([0, 200, 200]);
    expectEachFileOnce(t.index);
    expect(t.logLines.join('\n')).toMatch(/no answer within 1500 ms/);
  });

  it('waits out a 429 with Retry-After without spending an attempt, and publishes each file once', async () => {
    const t = await harness();
    t.index.fail(1, { status: 429, retryAfter: 1 });
    const jobId = await t.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const { state, job } = await settled(t.queue, jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    expect(t.index.uploads.map((u) => u.status)).toEqual([429, 200, 200]);
    expectEachFileOnce(t.index);
    const waited = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l['msg']).startsWith('rate-limited, waiting'));
    expect(waited).toHaveLength(1);
    expect(waited[0]).toMatchObject({ jobId, code: 'index-unavailable', attemptSpent: false });
  });

  it('publishes through an index that rate-limits for longer than all attempts would last', async () => {
    // Two attempts 200 ms apart: without the wait-out the third 429 would fail the release.
    const t = await harness({ PYRELEASE_JOB_ATTEMPTS: '2', PYRELEASE_JOB_BACKOFF_MS: '200' });
    t.index.fail(5, { status: 429, retryAfter: 1 });
    const started = Date.now();
    const jobId = await t.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const { state, job } = await settled(t.queue, jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    expect(t.index.uploads.map((u) => u.status)).toEqual([429, 429, 429, 429, 429, 200, 200]);
    expectEachFileOnce(t.index);
    // Each Retry-After was honoured: five waits of a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
  });

  it('spends attempts on rate limits once the job is older than PYRELEASE_RATE_LIMIT_MAX_WAIT_MS, and fails with the reason', async () => {
    const t = await harness({ PYRELEASE_JOB_ATTEMPTS: '2', PYRELEASE_JOB_BACKOFF_MS: '200', PYRELEASE_RATE_LIMIT_MAX_WAIT_MS: '0' });
    t.index.fail(5, { status: 429, retryAfter: 1 });
    const jobId = await t.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const { state, job } = await settled(t.queue, jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toMatch(/429/);
    expect(t.index.uploads.map((u) => u.status)).toEqual([429, 429]);
    expect(t.logLines.some((l) => l.includes('rate-limited, waiting'))).toBe(false);
  });

  it('fails for good after one attempt with index-auth when the token is wrong, and does not leak it', async () => {
    const wrong = `pypi-${randomBytes(24).toString('hex')}`;
    const t = await harness({ PYRELEASE_REGISTRY_FAKE_TOKEN: wrong });
    const jobId = await t.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const { state, job } = await settled(t.queue, jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^index-auth: /);
    expect(t.index.uploads.map((u) => u.status)).toEqual([403]);
    expect(t.index.files()).toEqual([]);
    expect(JSON.stringify(job)).not.toContain(wrong);
    expect(t.logLines.join('\n')).not.toContain(wrong);
  });

  it('fails for good with archive-unsafe on a path-traversal archive, writing nothing outside and uploading nothing', async () => {
    const t = await harness();
    const marker = `pyrelease-escape-${randomBytes(6).toString('hex')}`;
    const hostile = await writeRawArchive([
      { path: 'sample-aaaa/', type: 'Directory' },
      { path: 'sample-aaaa/pyproject.toml', body: '[project]\nname = "sample"\nversion = "1.4.0"\n' },
      { path: `sample-aaaa/../../${marker}-up2`, body: 'escaped' },
      { path: `sample-aaaa/../../../../../../../../../../..${tmpdir()}/${marker}-tmp`, body: 'escaped' },
      { path: `${tmpdir()}/${marker}-abs`, body: 'escaped' },
    ]);
    const jobId = await t.enqueue({ version: '1.4.0', source: { kind: 'archive', path: hostile } });
    const { state, job } = await settled(t.queue, jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^archive-unsafe: /);
    expect(t.index.uploads).toEqual([]);
    const after = await readdir(tmpdir());
    expect(after.filter((name) => name.includes(marker))).toEqual([]);
    expect(existsSync(join(tmpdir(), `${marker}-tmp`))).toBe(false);
    // The job's work dir (under the data dir) is gone as well.
    expect(await readdir(join(t.dataDir, 'work')).catch(() => [])).toEqual([]);
  });
});

describe('the worker process and `pyrelease jobs`', () => {
  it('finishes the job in flight on SIGTERM, exits 0, and `jobs --json` lists the completed and the failed job', async () => {
    const rig = await processRig();
    const worker = await spawnWorker(rig.env);
    onTestFinished(() => worker.kill('SIGKILL'));

    const hostile = await writeRawArchive([{ path: 'x-aaaa/../../evil', body: 'x' }]);
    const failedId = (await enqueuePublish(rig.queue, await rig.release({ version: '0.0.1', sha: 'b'.repeat(40), archive: hostile }))).jobId;
    expect((await settled(rig.queue, failedId)).state).toBe('failed');

    rig.hooks.plan('gate');
    const { jobId } = await enqueuePublish(rig.queue, await rig.release());
    const arrival = await rig.hooks.arrival(1);
    worker.kill('SIGTERM');
    await worker.waitForLine(/stopping: waiting for running jobs/);
    // A slow upload: the index answers a second after the stop was asked for.
    await new Promise((r) => setTimeout(r, 1000));
    expect(worker.child.exitCode).toBeNull();
    arrival.release();
    expect(await worker.exited).toBe(0);
    expect((await settled(rig.queue, jobId, 1000)).state).toBe('completed');
    expectEachFileOnce(rig.index);

    const { code, stdout } = await runCli(['jobs', '--json'], rig.env);
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; state: string; attempts: number; failedReason: string | null });
    expect(rows.map(({ id, state, attempts }) => ({ id, state, attempts })).sort((a, b) => a.state.localeCompare(b.state))).toEqual([
      { id: jobId, state: 'completed', attempts: 1 },
      { id: failedId, state: 'failed', attempts: 1 },
    ]);
    expect(rows.find((r) => r.state === 'failed')?.failedReason).toMatch(/^archive-unsafe: /);
    expect(stdout).not.toContain(rig.token);
  });
});
