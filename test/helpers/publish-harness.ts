import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/redis-client.js';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import type { Config } from '../../src/config.js';
import type { PublishJobData, PublishJobInput } from '../../src/jobs/publish-job.js';
import { enqueuePublish, publishQueue, redisConnection } from '../../src/jobs/queues.js';
import { parseServerConfig } from '../../src/server-config.js';
import type { ServerConfig } from '../../src/server-config.js';
import { startWorker } from '../../src/worker.js';
import type { RunningWorker } from '../../src/worker.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex, FakeIndexOptions } from '../fakes/fake-index.js';

export const TEST_REDIS_URL = process.env['PYRELEASE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Everything a publish test needs, real where a user has real parts: Redis, the worker,
 * Python builds, HTTP uploads; only the index is a fake (on 127.0.0.1). Each harness
 * has its own key prefix, data dir and random registry token.
 */
export interface PublishHarness {
  readonly index: FakeIndex;
  readonly token: string;
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly server: ServerConfig;
  readonly queue: Queue<PublishJobData>;
  readonly connection: RedisClient;
  readonly events: QueueEvents;
  readonly dataDir: string;
  readonly logLines: string[];
  startWorker(): Promise<RunningWorker>;
  enqueue(input: Partial<PublishJobInput> & Pick<PublishJobInput, 'version' | 'source'>): Promise<string>;
  close(): Promise<void>;
}

export async function publishHarness(options: { index?: FakeIndexOptions; env?: Record<string, string>; redisUrl?: string } = {}): Promise<PublishHarness> {
  const token = `pypi-${randomBytes(24).toString('hex')}`;
  const index = await startFakeIndex({ users: { __token__: token }, ...options.index });
  const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-data-'));
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const prefix = `{pyrelease-test-${randomBytes(6).toString('hex')}}`;
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    PYRELEASE_DATA_DIR: dataDir,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_BUILD_ISOLATION: 'false',
    PYRELEASE_JOB_ATTEMPTS: '4',
    PYRELEASE_JOB_BACKOFF_MS: '200',
    PYRELEASE_LOCK_DURATION_MS: '4000',
    PYRELEASE_WORKER_CONCURRENCY: '1',
    PYRELEASE_REGISTRY_FAKE_TOKEN: token,
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  // The harness's local jobs come from acme/sample; the operator grants it the target.
  const server = parseServerConfig(`registries:\n  fake:\n    upload-url: ${index.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n    - local: [acme/sample]\n      projects: ['*']\n`);
  if (!server.ok) throw new Error(server.errors.join('; '));
  const connection = redisConnection(redisUrl, 'pyrelease-test');
  const queue = publishQueue(connection, { prefix, attempts: loaded.config.jobAttempts, backoffMs: loaded.config.jobBackoffMs });
  const eventsConnection = redisConnection(redisUrl, 'pyrelease-test-events');
  const events = new QueueEvents('publish', { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const workers: RunningWorker[] = [];
  return {
    index,
    token,
    env,
    config: loaded.config,
    server: server.config,
    queue,
    connection,
    events,
    dataDir,
    logLines,
    async startWorker() {
      // The harness enqueues local archives; the service's workers never take them.
      const w = await startWorker({ config: loaded.config, server: server.config, log, env, sources: 'forge-or-local' });
      workers.push(w);
      return w;
    },
    async enqueue(input) {
      const { jobId } = await enqueuePublish(queue, {
        platform: 'local',
        repo: 'acme/sample',
        project: null,
        tag: `v${input.version}`,
        sha: 'a'.repeat(40),
        registries: ['fake'],
        buildTool: 'build',
        ...input,
      });
      return jobId;
    },
    async close() {
      for (const w of workers) await w.close().catch(() => undefined);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      // After a Redis restart, QueueEvents.close() (BullMQ 6.7) can wait forever for its
      // blocking XREAD connection to end (seen under CPU load in faults.test.ts). That
      // connection is ours: end it first, and give close() a bound. QueueEvents is test
      // machinery; the service does not use it.
      eventsConnection.disconnect();
      await Promise.race([events.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
      connection.disconnect();
      await index.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
